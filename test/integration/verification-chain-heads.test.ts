import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { sampleRecord } from '../../src/domain/rules/samples.ts';
import {
  type AuditBatchItem,
  appendAudit,
  appendAuditBatch,
  ChainHeads,
  ChainHeadsMoved,
} from '../../src/services/audit/append-audit.ts';
import { verifyAuditTrail } from '../../src/services/audit/verify-audit.ts';
import type { Actor } from '../../src/services/context.ts';
import { CheckBatcher, type PendingCheck } from '../../src/services/verification/record-checks.ts';
import { type Db, openStore, type Store } from '../../src/store/db.ts';
import { certificates } from '../../src/store/schema.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { push, registerClient } from '../helpers/intake.ts';

const PRACTITIONER = '11100000000019713D071';
const BUSINESS = '11100000000019713D008';

type Cert = { identifier: string; regionCode: string };

/**
 * Group commit on guessed audit chain heads (ChainHeads): a flush is built on the heads the
 * previous one left before that one commits, and checks its guess against the locked head row.
 * Whatever moves a chain under a guess — another API node, another writer, a rolled back flush —
 * the trail must stay exactly verifiable.
 */
for (const engine of await engines()) {
  describe(`audit chain heads guessed by group commit [${engine}]`, () => {
    let t: TestApp;
    let officer: Extract<Actor, { type: 'staff' }>;
    let certs: Cert[];
    /** A second API node's store: its own pool on the same PostgreSQL database (PGlite: the same handle). */
    let otherStore: Store | null = null;
    let otherDb: Db;

    const db = () => t.db.store.db;
    const count = async (statement: ReturnType<typeof sql>) =>
      Number((await t.db.store.query<{ n: number }>(statement))[0]!.n);
    const head = async (chain: string) => {
      const [row] = await t.db.store.query<{ seq: number | string; hash: string }>(
        sql`select seq, hash from audit_heads where chain = ${chain}`,
      );
      return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
    };
    const assertTrailOk = async () => {
      const trail = await verifyAuditTrail(db());
      assert.equal(trail.ok, true, JSON.stringify(trail.problems));
    };
    /** A live token's check of a certificate, as scanned (signature already checked). */
    const tokenCheck = (cert: Cert, nonce = randomBytes(16).toString('hex')): PendingCheck => ({
      id: randomUUID(),
      actor: officer,
      officerId: officer.id,
      place: null,
      at: t.clock.now(),
      recordedAt: t.clock.now(),
      requestId: 'heads-test',
      offline: false,
      scanned: {
        codeType: 'token',
        reason: null,
        identifier: cert.identifier,
        nonce: { nonce, expiresAt: new Date(t.clock.now().getTime() + 60_000) },
        expired: false,
      },
    });
    const auditItem = (regionCode: string, n: number): AuditBatchItem => ({
      actor: officer,
      entry: {
        action: 'certificate.verify',
        regionCode,
        targetType: 'verification',
        targetId: `heads-${n}`,
        outcome: 'failure',
        details: { reason: 'MALFORMED' },
      },
      meta: { at: t.clock.now(), requestId: 'heads-test' },
    });

    before(async () => {
      t = await createTestApp(engine);
      const staff = await t.staff('officer', 'enforcement-officer', '210100');
      officer = {
        type: 'staff',
        id: staff.id,
        username: 'officer',
        role: 'enforcement-officer',
        regionCode: '210100',
        permissions: [],
      };
      const client = await registerClient(t);
      const records = [
        { ...sampleRecord(PRACTITIONER, {}, { index: 601 }), sourceRecordId: 'H-1' },
        { ...sampleRecord(BUSINESS, {}, { index: 602, regionCode: '210202' }), sourceRecordId: 'H-2' },
        { ...sampleRecord(PRACTITIONER, {}, { index: 603, regionCode: '210302' }), sourceRecordId: 'H-3' },
      ].map((r) => ({ sourceVersion: 1, event: 'issue', ...r }));
      const results = (await push(t, client, records)).json().results;
      assert.ok(
        results.every((r: { status: string }) => r.status === 'issued'),
        JSON.stringify(results),
      );
      certs = [];
      for (const r of results) {
        const [row] = await db().select().from(certificates).where(eq(certificates.identifier, r.identifier));
        certs.push({ identifier: row!.identifier, regionCode: row!.regionCode });
      }
      assert.equal(new Set(certs.map((c) => c.regionCode)).size, 3, 'three chains');
      if (t.db.url) {
        otherStore = await openStore({ kind: 'postgres', url: t.db.url, poolSize: 4 });
        otherDb = otherStore.db;
      } else {
        otherDb = db();
      }
    });
    after(async () => {
      await otherStore?.close();
      await t.close();
    });

    test('a right guess appends in one statement; a wrong one fails the transaction, then the chain is appended under its lock', async () => {
      const chain = certs[0]!.regionCode;
      const before = (await head(chain))!;
      assert.ok(before.seq > 0, 'issuance started the chain');
      const heads = new ChainHeads();
      heads.set(chain, before);
      await db().transaction((tx) =>
        appendAuditBatch(tx, [auditItem(chain, 1), auditItem(chain, 2)], { heads }),
      );
      const afterRight = (await head(chain))!;
      assert.equal(afterRight.seq, before.seq + 2);
      assert.deepEqual(heads.get(chain), afterRight, 'the guess follows the chain');

      // A wrong guess (seq and hash of nothing): nothing is written, the guess is dropped.
      heads.set(chain, { seq: before.seq + 40, hash: 'f'.repeat(64) });
      await assert.rejects(
        db().transaction((tx) => appendAuditBatch(tx, [auditItem(chain, 3)], { heads })),
        (e) => e instanceof ChainHeadsMoved,
      );
      assert.deepEqual(await head(chain), afterRight);
      assert.equal(heads.get(chain), undefined, 'the guess is forgotten');
      // The retry appends under the chain's lock and guesses again from what it wrote.
      await db().transaction((tx) => appendAuditBatch(tx, [auditItem(chain, 3)], { heads }));
      const afterRetry = (await head(chain))!;
      assert.equal(afterRetry.seq, afterRight.seq + 1);
      const [record] = await t.db.store.query<{ prev_hash: string }>(
        sql`select prev_hash from audit_log where chain = ${chain} and seq = ${afterRetry.seq}`,
      );
      assert.equal(record!.prev_hash, afterRight.hash);
      await assertTrailOk();
    });

    test('a guessed head that does not exist fails the transaction, the caller’s writes with it', async () => {
      const chain = '210881'; // no record in this county yet
      assert.equal(await head(chain), undefined);
      const heads = new ChainHeads();
      heads.set(chain, { seq: 1, hash: 'a'.repeat(64) });
      const verificationsBefore = await count(sql`select count(*)::int as n from verifications`);
      const alongside = sql`marker as (
        insert into verifications (id, officer_id, region_code, at, code_type, result, reason)
        values (${randomUUID()}, ${officer.id}, '210100', now(), 'unknown', 'invalid', 'MALFORMED')
        returning 1)`;
      await assert.rejects(
        db().transaction((tx) => appendAuditBatch(tx, [auditItem(chain, 4)], { heads, alongside })),
        (e) => e instanceof ChainHeadsMoved,
      );
      assert.equal(heads.get(chain), undefined);
      assert.equal(await count(sql`select count(*)::int as n from audit_log where chain = ${chain}`), 0);
      assert.equal(await count(sql`select count(*)::int as n from verifications`), verificationsBefore);
      // Without a guess the chain is started under its advisory lock, and then guessed.
      await db().transaction((tx) => appendAuditBatch(tx, [auditItem(chain, 5)], { heads }));
      assert.deepEqual(heads.get(chain), await head(chain));
      assert.equal(heads.get(chain)!.seq, 1);
      await assertTrailOk();
    });

    test('a batch built on one still committing waits for it and goes through; one built on a rollback is refused', async () => {
      const chain = certs[1]!.regionCode;
      for (const outcome of ['commit', 'rollback'] as const) {
        const start = (await head(chain))!;
        const heads = new ChainHeads();
        heads.set(chain, start);
        let appended!: () => void;
        const firstAppended = new Promise<void>((resolve) => {
          appended = resolve;
        });
        const first = db().transaction(async (tx) => {
          await appendAuditBatch(tx, [auditItem(chain, 10), auditItem(chain, 11)], { heads });
          appended();
          // Hold the chain's row lock while the second batch is sent (on PostgreSQL it waits at the lock).
          await new Promise((r) => setTimeout(r, 150));
          if (outcome === 'rollback') throw new Error('flush failed after its append');
        });
        await firstAppended;
        assert.equal(heads.get(chain)!.seq, start.seq + 2, 'the next batch builds on the uncommitted heads');
        const second = otherDb.transaction((tx) => appendAuditBatch(tx, [auditItem(chain, 12)], { heads }));
        const [firstResult, secondResult] = await Promise.allSettled([first, second]);
        const end = (await head(chain))!;
        if (outcome === 'commit') {
          assert.equal(firstResult.status, 'fulfilled');
          assert.equal(secondResult.status, 'fulfilled');
          assert.equal(end.seq, start.seq + 3);
          assert.deepEqual(heads.get(chain), end);
        } else {
          assert.equal(firstResult.status, 'rejected');
          assert.ok(
            secondResult.status === 'rejected' && secondResult.reason instanceof ChainHeadsMoved,
            'built on heads that never committed',
          );
          assert.deepEqual(end, start, 'nothing of either was written');
        }
        await assertTrailOk();
      }
    });

    test('two API nodes and another writer interleave on the same chains: every check recorded once, chains intact', async () => {
      const nodeA = new CheckBatcher(db());
      const nodeB = new CheckBatcher(otherDb);
      const verificationsBefore = await count(sql`select count(*)::int as n from verifications`);
      const auditBefore = await count(
        sql`select count(*)::int as n from audit_log where action = 'certificate.verify'`,
      );
      let submitted = 0;
      let validReplays = 0;
      for (let round = 0; round < 6; round++) {
        const shared = randomBytes(16).toString('hex');
        const checks = [
          ...certs.map((c) => nodeA.submit(tokenCheck(c))),
          ...certs.map((c) => nodeB.submit(tokenCheck(c))),
          // One token scanned on both nodes at once: it is valid once.
          nodeA.submit(tokenCheck(certs[round % certs.length]!, shared)),
          nodeB.submit(tokenCheck(certs[round % certs.length]!, shared)),
        ];
        // Another writer moves a chain between the nodes' flushes.
        const writer = db().transaction((tx) =>
          appendAudit(
            tx,
            t.cliActor,
            {
              action: 'certificate.read',
              regionCode: certs[round % certs.length]!.regionCode,
              targetType: 'certificate',
              targetId: certs[round % certs.length]!.identifier,
            },
            { at: t.clock.now(), requestId: `writer-${round}` },
          ),
        );
        const [results] = await Promise.all([Promise.all(checks), writer]);
        submitted += results.length;
        const distinct = results.slice(0, certs.length * 2);
        assert.ok(
          distinct.every((r) => r.reason === null && r.shown),
          JSON.stringify(distinct.map((r) => r.reason)),
        );
        const pair = results.slice(certs.length * 2);
        assert.deepEqual(pair.map((r) => r.reason).sort(), [null, 'TOKEN_REUSED'].sort());
        validReplays += pair.filter((r) => r.reason === null).length;
      }
      assert.equal(validReplays, 6);
      assert.equal(
        await count(sql`select count(*)::int as n from verifications`),
        verificationsBefore + submitted,
      );
      assert.equal(
        await count(sql`select count(*)::int as n from audit_log where action = 'certificate.verify'`),
        auditBefore + submitted,
      );
      await assertTrailOk();
    });

    test('a flush that fails in the middle: its checks are retried alone, the next flush repairs the guesses', async () => {
      const batcher = new CheckBatcher(db());
      // Start the guesses of all three chains: one flush that commits.
      const first = await Promise.all(certs.map((c) => batcher.submit(tokenCheck(c))));
      assert.ok(first.every((r) => r.reason === null));
      const [taken] = await t.db.store.query<{ id: string }>(sql`select id from verifications limit 1`);
      const clash = { ...tokenCheck(certs[0]!), id: taken!.id };
      const settled = await Promise.allSettled([
        batcher.submit(tokenCheck(certs[0]!)),
        batcher.submit(clash), // its verification id is taken: the flush, built on guesses, rolls back
        batcher.submit(tokenCheck(certs[1]!)),
      ]);
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      for (const s of settled) if (s.status === 'fulfilled') assert.equal(s.value.reason, null);
      // The guesses were ahead of the rolled back flush; later flushes still append in order.
      const later = await Promise.all(certs.map((c) => batcher.submit(tokenCheck(c))));
      assert.ok(later.every((r) => r.reason === null));
      await assertTrailOk();
    });
  });
}
