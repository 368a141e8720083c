import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { appendAudit, appendAuditBatch } from '../../src/services/audit/append-audit.ts';
import { verifyAuditTrail } from '../../src/services/audit/verify-audit.ts';
import type { Actor } from '../../src/services/context.ts';
import { sqlState } from '../../src/store/errors.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/engines.ts';

const actor: Actor = { type: 'cli', id: 'cli:test', regionCode: '210000' };

async function seed(db: TestDatabase, n: number, regions: string[]) {
  for (let i = 0; i < n; i++) {
    const regionCode = regions[i % regions.length]!;
    await db.store.db.transaction((tx) =>
      appendAudit(
        tx,
        actor,
        {
          action: 'staff.update',
          regionCode,
          targetType: 'staff',
          targetId: `u${i}`,
          details: { i, note: '变更' },
        },
        { at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), requestId: `r${i}` },
      ),
    );
  }
}

/** Simulates a privileged operator who bypasses the append-only trigger. */
async function asOperator(db: TestDatabase, statement: ReturnType<typeof sql>) {
  await db.store.db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
    await tx.execute(statement);
    await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
  });
}

for (const engine of await engines()) {
  describe(`tamper-evident audit trail [${engine}]`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase(engine);
    });
    after(() => db.drop());

    test('chains per region: an intact trail verifies', async () => {
      await seed(db, 30, ['210100', '210102', '210200', '210000']);
      const v = await verifyAuditTrail(db.store.db, { pageSize: 7 });
      assert.equal(v.ok, true, JSON.stringify(v.problems));
      assert.equal(v.records, 30);
      assert.deepEqual(v.chains.map((c) => c.chain).sort(), ['210000', '210100', '210102', '210200']);
    });

    test('a large batch (COPY on PostgreSQL) chains on the heads and verifies, with text that needs escaping', async () => {
      const before = await verifyAuditTrail(db.store.db);
      const items = Array.from({ length: 150 }, (_, i) => ({
        actor,
        entry: {
          action: 'staff.update' as const,
          regionCode: ['210100', '210102', '210211'][i % 3]!,
          targetType: 'staff',
          targetId: `batch-${i}`,
          details: { i, note: 'tab\there\nnew line \\ backslash “引号” 😀' },
        },
        meta: { at: new Date(Date.UTC(2026, 1, 1, 0, 0, i)), requestId: `rb${i}` },
      }));
      await db.store.db.transaction((tx) => appendAuditBatch(tx, items));
      const v = await verifyAuditTrail(db.store.db, { pageSize: 40 });
      assert.equal(v.ok, true, JSON.stringify(v.problems));
      assert.equal(v.records, before.records + 150);
      const [row] = await db.store.query<{ details: { note: string } }>(
        sql`select details from audit_log where target_id = 'batch-149'`,
      );
      assert.equal(row!.details.note, 'tab\there\nnew line \\ backslash “引号” 😀');
    });

    test('ordinary sessions cannot update or delete audit records', async () => {
      const refused = (e: unknown) =>
        sqlState(e) === '42501' && /append-only/.test(String((e as Error).cause));
      await assert.rejects(
        db.store.db.execute(sql`update audit_log set action = 'x' where seq = 1`),
        refused,
      );
      await assert.rejects(db.store.db.execute(sql`delete from audit_log where seq = 1`), refused);
    });

    test('a silent edit is detected', async () => {
      await asOperator(
        db,
        sql`update audit_log set details = '{"i":3,"note":"改过"}'::jsonb where chain = '210100' and seq = 3`,
      );
      const v = await verifyAuditTrail(db.store.db);
      assert.equal(v.ok, false);
      assert.ok(v.problems.some((p) => p.kind === 'hash_mismatch' && p.chain === '210100' && p.seq === 3));
    });

    test('a deletion in the middle and a truncated tail are detected', async () => {
      await asOperator(db, sql`delete from audit_log where chain = '210200' and seq = 2`);
      const maxSeq = await db.store.query<{ m: number }>(
        sql`select max(seq)::int as m from audit_log where chain = '210000'`,
      );
      await asOperator(db, sql`delete from audit_log where chain = '210000' and seq = ${maxSeq[0]!.m}`);
      const v = await verifyAuditTrail(db.store.db);
      assert.ok(
        v.problems.some((p) => p.chain === '210200' && (p.kind === 'gap' || p.kind === 'broken_link')),
      );
      assert.ok(v.problems.some((p) => p.chain === '210000' && p.kind === 'head_mismatch'));
    });
  });

  describe(`concurrent audit appends [${engine}]`, () => {
    test('parallel transactions on one chain keep it gapless and valid', async () => {
      const db = await createTestDatabase(engine);
      try {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            db.store.db.transaction((tx) =>
              appendAudit(
                tx,
                actor,
                { action: 'auth.login', regionCode: '210100' },
                { at: new Date(), requestId: `p${i}` },
              ),
            ),
          ),
        );
        const v = await verifyAuditTrail(db.store.db);
        assert.equal(v.ok, true, JSON.stringify(v.problems));
        assert.equal(v.records, 40);
      } finally {
        await db.drop();
      }
    });
  });
}
