import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { sampleRecord } from '../../src/domain/rules/samples.ts';
import { verifyAuditTrail } from '../../src/services/audit/verify-audit.ts';
import {
  CheckBatcher,
  type PendingCheck,
  recordChecks,
} from '../../src/services/verification/record-checks.ts';
import { encodeShowToken } from '../../src/services/verification/show-token.ts';
import { certificates, verifications } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { push, registerClient } from '../helpers/intake.ts';

const PRACTITIONER = '11100000000019713D071';
const BUSINESS = '11100000000019713D008';

type Cert = { identifier: string; kindCode: string; certificateNumber: string; regionCode: string };

for (const engine of await engines()) {
  describe(`verification group commit (查验批量提交) [${engine}]`, () => {
    let t: TestApp;
    let officer: { id: string; token: string };
    let dalianOfficer: { id: string; token: string };
    let admin: { token: string };
    let certs: Cert[];

    /** A fresh 亮证 token for a certificate, signed by the platform's seal like the wallet's. */
    const freshToken = async (c: Cert) =>
      (
        await encodeShowToken(
          {
            identifier: c.identifier,
            statusCode: '10',
            issuedAt: t.clock.now(),
            lifetimeSeconds: 60,
            kindCode: c.kindCode,
            holderName: '测*',
            certificateNumber: c.certificateNumber,
            sealCertificate: t.keyring.requireTrust().sealCertificate,
          },
          t.keyring.sealSigner(),
        )
      ).text;
    const verify = (code: string, token: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: bearer(token), payload: { code } });
    const count = async (statement: ReturnType<typeof sql>) =>
      Number((await t.db.store.query<{ n: number }>(statement))[0]!.n);

    before(async () => {
      t = await createTestApp(engine);
      admin = await t.staff('admin', 'province-admin', '210000');
      officer = await t.staff('officer', 'enforcement-officer', '210100');
      dalianOfficer = await t.staff('dlofficer', 'enforcement-officer', '210200');
      const client = await registerClient(t);
      // Certificates of two cities, so one batch appends to several audit chains.
      const records = [
        { ...sampleRecord(PRACTITIONER, {}, { index: 501 }), sourceRecordId: 'B-1' },
        { ...sampleRecord(BUSINESS, {}, { index: 502 }), sourceRecordId: 'B-2' },
        { ...sampleRecord(PRACTITIONER, {}, { index: 503, regionCode: '210202' }), sourceRecordId: 'B-3' },
        { ...sampleRecord(BUSINESS, {}, { index: 504, regionCode: '210203' }), sourceRecordId: 'B-4' },
      ].map((r) => ({ sourceVersion: 1, event: 'issue', ...r }));
      const results = (await push(t, client, records)).json().results;
      assert.ok(
        results.every((r: { status: string }) => r.status === 'issued'),
        JSON.stringify(results),
      );
      certs = [];
      for (const r of results) {
        const [row] = await t.db.store.db
          .select()
          .from(certificates)
          .where(eq(certificates.identifier, r.identifier));
        certs.push({
          identifier: row!.identifier,
          kindCode: row!.kindCode,
          certificateNumber: row!.certificateNumber,
          regionCode: row!.regionCode,
        });
      }
      assert.ok(new Set(certs.map((c) => c.regionCode.slice(0, 4))).size >= 2, 'two cities');
    });
    after(() => t.close());

    test('concurrent checks: each fresh token valid once, a token sent many times at once valid once', async () => {
      const distinct = await Promise.all(certs.flatMap((c) => [freshToken(c), freshToken(c), freshToken(c)]));
      const twice = await freshToken(certs[0]!);
      const beforeVerifications = await count(sql`select count(*)::int as n from verifications`);
      const beforeUsage = await count(
        sql`select count(*)::int as n from usage_events where event = 'verify'`,
      );
      const answers = await Promise.all([
        ...distinct.map((code, i) => verify(code, i % 2 ? officer.token : dalianOfficer.token)),
        ...Array.from({ length: 6 }, (_, i) => verify(twice, i % 2 ? officer.token : dalianOfficer.token)),
      ]);
      for (const a of answers) assert.equal(a.statusCode, 200, a.body);
      const bodies = answers.map((a) => a.json());
      const distinctBodies = bodies.slice(0, distinct.length);
      assert.ok(
        distinctBodies.every((b) => b.result === 'valid' && b.certificate?.face),
        JSON.stringify(distinctBodies.filter((b) => b.result !== 'valid')),
      );
      const replays = bodies.slice(distinct.length);
      assert.equal(
        replays.filter((b) => b.result === 'valid').length,
        1,
        'exactly one check spends the nonce',
      );
      for (const b of replays.filter((r) => r.result !== 'valid')) {
        assert.equal(b.reason, 'TOKEN_REUSED');
        assert.equal(b.certificate, null, 'a replay shows nothing');
      }
      // Every check is recorded once, with its usage event when it showed the certificate.
      assert.equal(
        await count(sql`select count(*)::int as n from verifications`),
        beforeVerifications + answers.length,
      );
      assert.equal(
        await count(sql`select count(*)::int as n from usage_events where event = 'verify'`),
        beforeUsage + distinct.length + 1,
      );
      const ids = bodies.map((b) => b.verificationId as string);
      assert.equal(new Set(ids).size, ids.length);
      const audited = await t.db.store.query<{ target_id: string; details: { verificationId: string } }>(
        sql`select target_id, details from audit_log where action = 'certificate.verify'`,
      );
      const auditedIds = new Set(audited.map((a) => a.details.verificationId));
      assert.ok(
        ids.every((id) => auditedIds.has(id)),
        'each check has its audit record',
      );
      // The region chains stay intact: gapless, linked, heads matching.
      const trail = await verifyAuditTrail(t.db.store.db);
      assert.equal(trail.ok, true, JSON.stringify(trail.problems));
      const check = await t.app.inject({
        method: 'POST',
        url: '/api/v1/audit/verify',
        headers: bearer(admin.token),
      });
      assert.equal(check.statusCode, 200);
      assert.equal(check.json().ok, true);
    });

    test('one batch: a nonce spent earlier and a duplicate within the batch are reused; status still decides', async () => {
      const db = t.db.store.db;
      const trust = t.keyring.requireTrust();
      assert.ok(trust);
      const officerActor = {
        type: 'staff' as const,
        id: officer.id,
        username: 'officer',
        role: 'enforcement-officer' as const,
        regionCode: '210100',
        permissions: [],
      };
      const pending = (code: { nonce: string; identifier: string }, expired = false): PendingCheck => ({
        id: randomUUID(),
        actor: officerActor,
        officerId: officer.id,
        place: '测试检查点',
        at: t.clock.now(),
        recordedAt: t.clock.now(),
        requestId: 'batch-test',
        offline: false,
        scanned: {
          codeType: 'token',
          reason: null,
          identifier: code.identifier,
          nonce: { nonce: code.nonce, expiresAt: new Date(t.clock.now().getTime() + 60_000) },
          expired,
        },
      });
      const spentEarlier = { nonce: 'aa'.repeat(16), identifier: certs[1]!.identifier };
      const [first] = await recordChecks(db, [pending(spentEarlier)]);
      assert.equal(first!.reason, null);
      const fresh = { nonce: 'bb'.repeat(16), identifier: certs[2]!.identifier };
      const results = await recordChecks(db, [
        pending(fresh),
        pending(spentEarlier),
        pending(fresh),
        pending({ nonce: 'cc'.repeat(16), identifier: '99999999999999999999999999999999' }),
        pending({ nonce: 'dd'.repeat(16), identifier: certs[3]!.identifier }, true),
      ]);
      assert.deepEqual(
        results.map((r) => r.reason),
        [null, 'TOKEN_REUSED', 'TOKEN_REUSED', 'CERTIFICATE_UNKNOWN', 'TOKEN_EXPIRED'],
      );
      assert.deepEqual(
        results.map((r) => r.shown),
        [true, false, false, false, false],
      );
      // An expired token does not spend its nonce; an unknown certificate neither.
      assert.equal(
        await count(
          sql`select count(*)::int as n from show_token_nonces where nonce in (${'cc'.repeat(16)}, ${'dd'.repeat(16)})`,
        ),
        0,
      );
      const trail = await verifyAuditTrail(db);
      assert.equal(trail.ok, true, JSON.stringify(trail.problems));
    });

    test('a check that cannot be recorded fails alone; its batch neighbours are recorded', async () => {
      const db = t.db.store.db;
      const batcher = new CheckBatcher(db);
      const [existing] = await db.select({ id: verifications.id }).from(verifications).limit(1);
      const officerActor = {
        type: 'staff' as const,
        id: officer.id,
        username: 'officer',
        role: 'enforcement-officer' as const,
        regionCode: '210100',
        permissions: [],
      };
      const check = (id: string): PendingCheck => ({
        id,
        actor: officerActor,
        officerId: officer.id,
        place: null,
        at: t.clock.now(),
        recordedAt: t.clock.now(),
        offline: false,
        scanned: { codeType: 'unknown', reason: 'MALFORMED', identifier: null },
      });
      const good = [randomUUID(), randomUUID()];
      const settled = await Promise.allSettled([
        batcher.submit(check(good[0]!)),
        batcher.submit(check(existing!.id)), // the id is taken: this insert fails
        batcher.submit(check(good[1]!)),
      ]);
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      const stored = await db.select({ id: verifications.id }).from(verifications);
      const ids = new Set(stored.map((r) => r.id));
      assert.ok(good.every((id) => ids.has(id)));
      const trail = await verifyAuditTrail(db);
      assert.equal(trail.ok, true, JSON.stringify(trail.problems));
    });
  });
}
