import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { purgeWalletRows } from '../../src/services/wallet/purge-wallet.ts';
import { holderOtps, holders, shareCodes } from '../../src/store/schema.ts';
import { createTestDatabase, engines } from '../helpers/engines.ts';

for (const engine of await engines()) {
  describe(`wallet housekeeping [${engine}]`, () => {
    test('codes expired more than a day ago are purged; recent ones stay', async () => {
      const db = await createTestDatabase(engine);
      try {
        const now = new Date('2026-05-10T00:00:00Z');
        const row = (expiresAt: Date) => ({
          id: randomUUID(),
          idIndex: 'i'.repeat(64),
          phoneIndex: 'p'.repeat(64),
          codeHash: null,
          createdAt: new Date(expiresAt.getTime() - 300_000),
          expiresAt,
          consumedAt: expiresAt,
        });
        await db.store.db
          .insert(holderOtps)
          .values([row(new Date('2026-05-08T00:00:00Z')), row(new Date('2026-05-09T12:00:00Z'))]);
        await purgeWalletRows(db.store.db, now);
        const left = await db.store.db.select().from(holderOtps);
        assert.equal(left.length, 1);
        assert.equal(left[0]!.expiresAt.toISOString(), '2026-05-09T12:00:00.000Z');
      } finally {
        await db.drop();
      }
    });

    test('用证码 expired more than a day ago are purged, used or not; recent ones stay', async () => {
      const db = await createTestDatabase(engine);
      try {
        const now = new Date('2026-05-10T00:00:00Z');
        const holderId = randomUUID();
        await db.store.db
          .insert(holders)
          .values({ id: holderId, idIndex: 'h'.repeat(64), idType: '111', idEnc: 'x', nameEnc: 'x' });
        const code = (expiresAt: Date, used: boolean) => ({
          id: randomUUID(),
          codeHash: randomUUID(),
          holderId,
          serial: '0001',
          identifier: `1.2.156.3005.2.test.${randomUUID()}`,
          regionCode: '210102',
          kindCode: '11100000000019713D007',
          fields: [],
          createdAt: new Date(expiresAt.getTime() - 1_800_000),
          expiresAt,
          usedAt: used ? new Date(expiresAt.getTime() - 60_000) : null,
        });
        await db.store.db
          .insert(shareCodes)
          .values([
            code(new Date('2026-05-08T00:00:00Z'), true),
            code(new Date('2026-05-08T06:00:00Z'), false),
            code(new Date('2026-05-09T12:00:00Z'), true),
          ]);
        await purgeWalletRows(db.store.db, now);
        const left = await db.store.db.select().from(shareCodes);
        assert.deepEqual(
          left.map((r) => r.expiresAt.toISOString()),
          ['2026-05-09T12:00:00.000Z'],
        );
      } finally {
        await db.drop();
      }
    });
  });
}
