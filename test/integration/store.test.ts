import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { migrate, openStore } from '../../src/store/db.ts';
import { nextCertificateSerial } from '../../src/store/serials.ts';
import { createTestDatabase, engines, postgresAvailable } from '../helpers/engines.ts';

for (const engine of await engines()) {
  describe(`store [${engine}]`, () => {
    test('migrations are recorded and re-running them changes nothing', async () => {
      const db = await createTestDatabase(engine);
      try {
        const again = await migrate(db.store);
        assert.deepEqual(again.applied, []);
        const tags = await db.store.query<{ tag: string }>(
          sql`select tag from roadcert_migrations order by tag`,
        );
        assert.ok(tags.length >= 2);
        const tables = await db.store.query<{ t: string }>(
          sql`select table_name as t from information_schema.tables where table_schema = 'public'`,
        );
        for (const name of ['staff_users', 'audit_log', 'catalog_versions', 'key_material']) {
          assert.ok(
            tables.some((r) => r.t === name),
            `${name} exists`,
          );
        }
      } finally {
        await db.drop();
      }
    });

    test('serials come from a database sequence: unique under concurrency', async () => {
      const db = await createTestDatabase(engine);
      try {
        const serials = await Promise.all(
          Array.from({ length: 200 }, () => nextCertificateSerial(db.store.db)),
        );
        assert.equal(new Set(serials).size, 200);
      } finally {
        await db.drop();
      }
    });
  });
}

describe('several API nodes on one PostgreSQL', async () => {
  const skip = !(await postgresAvailable());
  test('concurrent migration and serial minting from separate pools never collide', { skip }, async () => {
    const db = await createTestDatabase('postgres');
    try {
      // Three "nodes": separate connection pools, as separate processes would have.
      const nodes = await Promise.all(
        [1, 2, 3].map(() => openStore({ kind: 'postgres', url: db.url!, poolSize: 4 })),
      );
      await Promise.all(nodes.map((n) => migrate(n)));
      const all = (
        await Promise.all(
          nodes.map((n) => Promise.all(Array.from({ length: 150 }, () => nextCertificateSerial(n.db)))),
        )
      ).flat();
      assert.equal(all.length, 450);
      assert.equal(new Set(all).size, 450);
      await Promise.all(nodes.map((n) => n.close()));
    } finally {
      await db.drop();
    }
  });
});
