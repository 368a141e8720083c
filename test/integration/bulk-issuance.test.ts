import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { sm3Hex } from '../../src/crypto/sm3.ts';
import { KINDS } from '../../src/domain/catalog/kinds.ts';
import { sampleRecord } from '../../src/domain/rules/samples.ts';
import { verifyAuditTrail } from '../../src/services/audit/verify-audit.ts';
import { processOutbox } from '../../src/services/delivery/process-outbox.ts';
import { openIntakeContext } from '../../src/services/intake/context.ts';
import { submitRecords } from '../../src/services/intake/submit-records.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

const rec = (
  i: number,
  id: string,
  version: number,
  event: string,
  overrides: Record<string, unknown> = {},
) => ({
  ...sampleRecord(KINDS[i % KINDS.length]!.code, overrides, {
    index: 5000 + i,
    regionCode: ['210102', '210202', '210302'][i % 3]!,
  }),
  sourceRecordId: id,
  sourceVersion: version,
  event,
});

for (const engine of await engines()) {
  describe(`bulk issuance path [${engine}]`, () => {
    let t: TestApp;
    const count = async (q: string) => Number((await t.db.store.query<{ n: number }>(sql.raw(q)))[0]!.n);
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    test('a mixed batch gives the same outcomes as the per-record path, and a valid audit trail', async () => {
      const ctx = await openIntakeContext(t.ctx, t.keyring);
      const source = { clientId: 'bulk-test', regionCode: '210000', actor: t.cliActor };
      // Known before the batch: a licence that the batch then changes (per-record path).
      await submitRecords(ctx, source, [rec(0, 'KNOWN-1', 1, 'issue')]);
      const batch = [
        ...Array.from({ length: 45 }, (_, i) => rec(i + 1, `NEW-${i}`, 1, 'issue')),
        rec(100, 'TWICE-1', 1, 'issue'),
        rec(100, 'TWICE-1', 2, 'change'),
        rec(101, 'BAD-1', 1, 'issue', { face: { plateNumber: 'XX' }, holder: { id: '210102199001011230' } }),
        rec(0, 'KNOWN-1', 2, 'change'),
        rec(102, 'PAPER-1', 1, 'baseline'),
        { sourceRecordId: 'REJ-1', sourceVersion: 1, event: 'issue', kind: 'nope', regionCode: '210102' },
      ];
      const results = await submitRecords(ctx, source, batch, { bulk: true, chunkSize: 20 });
      const byId = (id: string) => results.filter((r) => r.sourceRecordId === id).map((r) => r.status);
      assert.equal(
        results.filter((r) => r.sourceRecordId?.startsWith('NEW-') && r.status === 'issued').length,
        45,
      );
      assert.deepEqual(byId('TWICE-1'), ['issued', 'updated']);
      assert.deepEqual(byId('BAD-1'), ['nonstandard']);
      assert.deepEqual(byId('KNOWN-1'), ['updated']);
      assert.deepEqual(byId('PAPER-1'), ['recorded']);
      assert.deepEqual(byId('REJ-1'), ['rejected']);
      // 45 new + TWICE (2 versions) + KNOWN (2 versions).
      assert.equal(await count('select count(*)::int as n from certificates'), 49);
      assert.equal(await count('select count(distinct serial)::int as n from certificates'), 47);
      assert.equal(await count("select count(*)::int as n from intake_records where status = 'issued'"), 47);
      const audit = await verifyAuditTrail(t.db.store.db);
      assert.equal(audit.ok, true, JSON.stringify(audit.problems));
      assert.ok(
        (await count("select count(*)::int as n from audit_log where action = 'certificate.issue'")) >= 46,
      );
      // Deliveries go out for bulk-issued certificates as for any other.
      await processOutbox(t.db.store.db, t.clock.now(), { limit: 10_000 });
      assert.equal(
        await count(
          "select count(*)::int as n from deliveries where identifier in (select identifier from certificates where source_record_id like 'NEW-%')",
        ),
        45,
      );

      // The same batch again: every record answers duplicate, nothing new is written.
      const before = await count('select count(*)::int as n from certificates');
      const again = await submitRecords(ctx, source, batch, { bulk: true, chunkSize: 20 });
      assert.ok(again.filter((r) => r.sourceRecordId !== 'REJ-1').every((r) => r.status === 'duplicate'));
      assert.equal(await count('select count(*)::int as n from certificates'), before);
    });

    test('licences of one holder in one chunk leave the holder as one by one would: last name, last phone given', async () => {
      const ctx = await openIntakeContext(t.ctx, t.keyring);
      const source = { clientId: 'bulk-test', regionCode: '210000', actor: t.cliActor };
      const batch = [
        rec(300, 'SHARED-1', 1, 'issue', { holder: { phone: '13900000001' } }),
        rec(300, 'SHARED-2', 1, 'issue', { holder: { phone: '13900000002' } }),
        // No phone: one by one, the holder keeps the phone the record before gave.
        rec(300, 'SHARED-3', 1, 'issue', { holder: { phone: undefined } }),
        rec(301, 'SHARED-4', 1, 'issue'),
      ];
      const results = await submitRecords(ctx, source, batch, { bulk: true });
      assert.deepEqual(
        results.map((r) => r.status),
        ['issued', 'issued', 'issued', 'issued'],
      );
      const holder = batch[0]!.holder;
      const rows = await t.db.store.query<{
        id: string;
        name_enc: string;
        phone_enc: string;
        phone_index: string;
      }>(
        sql`select id, name_enc, phone_enc, phone_index from holders where id_index = ${t.vault.index('holder.id', `${holder.idType}:${holder.id}`)}`,
      );
      assert.equal(rows.length, 1);
      assert.equal(t.vault.open('holder.name', rows[0]!.name_enc), holder.name);
      assert.equal(t.vault.open('holder.phone', rows[0]!.phone_enc), '13900000002');
      assert.equal(rows[0]!.phone_index, t.vault.index('holder.phone', '13900000002'));
      const licences = await t.db.store.query<{ n: number }>(
        sql`select count(*)::int as n from licences where holder_id = ${rows[0]!.id}`,
      );
      assert.equal(licences[0]!.n, 3);
      // The certificate's sealed signed data opens to exactly the bytes signed.
      const cert = await t.db.store.query<{ signed_data_enc: string; signed_data_digest: string }>(
        sql`select signed_data_enc, signed_data_digest from certificates where source_record_id = 'SHARED-4'`,
      );
      const signed = t.vault.open('certificate.signed_data', cert[0]!.signed_data_enc);
      assert.equal(sm3Hex(signed), cert[0]!.signed_data_digest);
      assert.equal(JSON.parse(signed).holder.id, batch[3]!.holder.id);
    });

    test('a chunk that meets a known licence falls back to per-record transactions, writing nothing twice', async () => {
      const ctx = await openIntakeContext(t.ctx, t.keyring);
      const source = { clientId: 'bulk-test', regionCode: '210000', actor: t.cliActor };
      await submitRecords(ctx, source, [rec(200, 'RACE-1', 1, 'issue')]);
      const results = await submitRecords(
        ctx,
        source,
        [rec(201, 'RACE-2', 1, 'issue'), rec(200, 'RACE-1', 1, 'issue'), rec(202, 'RACE-3', 1, 'issue')],
        { bulk: true },
      );
      assert.deepEqual(
        results.map((r) => r.status),
        ['issued', 'duplicate', 'issued'],
      );
      assert.equal(
        await count("select count(*)::int as n from certificates where source_record_id like 'RACE-%'"),
        3,
      );
    });
  });
}
