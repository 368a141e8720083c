import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import canonicalize from 'canonicalize';
import { eq, sql } from 'drizzle-orm';
import { verifySignature } from '../../src/crypto/signer.ts';
import { parseCertificate } from '../../src/crypto/x509.ts';
import { encodeQrPayload } from '../../src/documents/qr/payload.ts';
import { certificates, usageEvents, verifications } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { intakeRecord, push, registerClient, type TestClient } from '../helpers/intake.ts';

const PRACTITIONER = '11100000000019713D071'; // 从业资格证: a person
const BUSINESS = '11100000000019713D008'; // 经营许可证: an organisation

type Holder = { idType: string; id: string; phone: string };

for (const engine of await engines()) {
  describe(`verification (亮证与查验) [${engine}]`, () => {
    let t: TestApp;
    let client: TestClient;
    let admin: { token: string };
    let officer: { id: string; token: string };
    let otherOfficer: { token: string };
    let issuer: { token: string };
    let aV1: string; // holder A's practitioner certificate; superseded by a change later
    let bCert: string; // holder B's business licence; revoked later
    let aToken: string;
    let bToken: string;

    const holderOf = (rec: { holder: { idType: string; id: string; phone?: string } }): Holder => ({
      idType: rec.holder.idType,
      id: rec.holder.id,
      phone: rec.holder.phone!,
    });
    const signIn = async (h: Holder) => {
      const sent = await t.app.inject({ method: 'POST', url: '/api/v1/wallet/otp', payload: h });
      assert.equal(sent.statusCode, 200, sent.body);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/wallet/login',
        payload: { ...h, code: sent.json().demoCode },
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().token as string;
    };
    const show = (holderToken: string, identifier: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/certificates/${identifier}/show`,
        headers: bearer(holderToken),
      });
    const showToken = async (holderToken: string, identifier: string) => {
      const res = await show(holderToken, identifier);
      assert.equal(res.statusCode, 200, res.body);
      return res.json().token as string;
    };
    const verify = (code: string, token = officer.token, place?: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/verify',
        headers: bearer(token),
        payload: { code, ...(place ? { place } : {}) },
      });
    const verificationCount = async () =>
      Number(
        (await t.db.store.query<{ n: number }>(sql`select count(*)::int as n from verifications`))[0]!.n,
      );

    before(async () => {
      t = await createTestApp(engine);
      admin = await t.staff('admin', 'province-admin', '210000');
      officer = await t.staff('officer', 'enforcement-officer', '210100');
      otherOfficer = await t.staff('officer2', 'enforcement-officer', '210100');
      issuer = await t.staff('issuer', 'issuing-officer', '210102');
      client = await registerClient(t);
      const recA = intakeRecord(PRACTITIONER, 'V-A', 1, 'issue', {}, 401);
      const recB = intakeRecord(BUSINESS, 'V-B', 1, 'issue', {}, 402);
      const recN = intakeRecord(PRACTITIONER, 'V-N', 1, 'issue', {}, 403); // never used
      const results = (await push(t, client, [recA, recB, recN])).json().results;
      assert.deepEqual(
        results.map((r: { status: string }) => r.status),
        ['issued', 'issued', 'issued'],
        JSON.stringify(results),
      );
      aV1 = results[0].identifier;
      bCert = results[1].identifier;
      aToken = await signIn(holderOf(recA));
      bToken = await signIn(holderOf(recB));
    });
    after(() => t.close());

    test('the holder gets a short signed token for an own certificate only', async () => {
      const res = await show(aToken, aV1);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.refreshAfterSeconds, 30);
      assert.equal(new Date(body.expiresAt).getTime() - t.clock.now().getTime(), 60_000);
      assert.match(body.token, /^A[A-Za-z0-9_-]+$/);
      assert.ok(body.token.length < 400, `token is ${body.token.length} characters`);
      // Someone else's certificate is "not found".
      const foreign = await show(aToken, bCert);
      assert.equal(foreign.statusCode, 404);
      const events = await t.db.store.db.select().from(usageEvents).where(eq(usageEvents.identifier, aV1));
      assert.deepEqual(
        events.map((e) => e.event),
        ['show'],
      );
      assert.equal(events[0]!.kindCode, PRACTITIONER);
    });

    test('an officer verifies a token once: valid with face data, then TOKEN_REUSED', async () => {
      const token = await showToken(aToken, aV1);
      const res = await verify(token, officer.token, '沈阳市和平区南京街检查点');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.result, 'valid');
      assert.equal(body.reason, undefined);
      assert.equal(body.message, '电子证照有效');
      assert.equal(body.certificate.identifier, aV1);
      assert.equal(body.certificate.status, 'valid');
      assert.equal(body.certificate.statusName, '有效');
      const detail = await t.app.inject({
        url: `/api/v1/wallet/certificates/${aV1}`,
        headers: bearer(aToken),
      });
      assert.deepEqual(body.certificate.face, detail.json().face);
      assert.equal(body.certificate.validTo, detail.json().validTo);

      const [row] = await t.db.store.db
        .select()
        .from(verifications)
        .where(eq(verifications.id, body.verificationId));
      assert.equal(row!.officerId, officer.id);
      assert.equal(row!.place, '沈阳市和平区南京街检查点');
      assert.equal(row!.result, 'valid');
      assert.equal(row!.identifier, aV1);
      assert.equal(row!.codeType, 'token');
      assert.equal(row!.at.toISOString(), body.checkedAt);
      const verifyEvents = await t.db.store.query<{ n: number }>(
        sql`select count(*)::int as n from usage_events where identifier = ${aV1} and event = 'verify'`,
      );
      assert.equal(Number(verifyEvents[0]!.n), 1);

      const again = await verify(token);
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().result, 'invalid');
      assert.equal(again.json().reason, 'TOKEN_REUSED');
      assert.equal(again.json().certificate, null);
      assert.match(again.json().message, /不能重复使用/);
    });

    test('a token older than 60 s is TOKEN_EXPIRED', async () => {
      const token = await showToken(aToken, aV1);
      t.clock.advance(61_000);
      const res = await verify(token);
      assert.equal(res.json().result, 'invalid');
      assert.equal(res.json().reason, 'TOKEN_EXPIRED');
      assert.equal(res.json().certificate, null);
    });

    test('a tampered or foreign code is invalid, recorded, never a 5xx', async () => {
      const token = await showToken(aToken, aV1);
      // Character 15 lies in the nonce: the structure still parses, the signature does not.
      const flipped = token.slice(0, 15) + (token[15] === 'B' ? 'C' : 'B') + token.slice(16);
      const before = await verificationCount();
      const res = await verify(flipped);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().result, 'invalid');
      assert.equal(res.json().reason, 'SIGNATURE_INVALID');
      assert.equal(res.json().certificate, null);
      for (const garbage of ['hello', 'A'.repeat(200), 'https://evil.example/v#123', token.slice(0, -4)]) {
        const r = await verify(garbage);
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(r.json().result, 'invalid');
        assert.equal(r.json().reason, 'MALFORMED', garbage);
      }
      assert.equal(await verificationCount(), before + 5);
      const [row] = await t.db.store.db
        .select()
        .from(verifications)
        .where(eq(verifications.id, res.json().verificationId));
      assert.equal(row!.result, 'invalid');
      assert.equal(row!.reason, 'SIGNATURE_INVALID');
      assert.equal(row!.identifier, null);
    });

    test('a document QR payload verifies online with the current status', async () => {
      const [row] = await t.db.store.db.select().from(certificates).where(eq(certificates.identifier, aV1));
      const trust = t.keyring.requireTrust();
      const qr = await encodeQrPayload(
        {
          identifier: aV1,
          signedDataDigest: row!.signedDataDigest,
          issuedAt: row!.signedAt,
          sealKeyId: trust.sealKeyId,
          sealCertificate: trust.sealCertificate,
        },
        t.keyring.sealSigner(),
        { baseUrl: 'https://verify.example.cn' },
      );
      const res = await verify(qr.text);
      assert.equal(res.json().result, 'valid', res.body);
      assert.equal(res.json().certificate.identifier, aV1);
      const [stored] = await t.db.store.db
        .select()
        .from(verifications)
        .where(eq(verifications.id, res.json().verificationId));
      assert.equal(stored!.codeType, 'document');

      // After a change the same printed code names a superseded version.
      const token = await showToken(aToken, aV1);
      t.clock.advance(1000);
      const changed = (
        await push(t, client, [intakeRecord(PRACTITIONER, 'V-A', 2, 'change', {}, 401)])
      ).json();
      assert.equal(changed.results[0].status, 'updated', JSON.stringify(changed));
      const aV2 = changed.results[0].identifier as string;

      const byToken = (await verify(token)).json();
      assert.equal(byToken.result, 'invalid');
      assert.equal(byToken.reason, 'SUPERSEDED');
      assert.equal(byToken.certificate.status, 'superseded');
      assert.equal(byToken.certificate.nextIdentifier, aV2);
      const byDocument = (await verify(qr.text)).json();
      assert.equal(byDocument.reason, 'SUPERSEDED');
      assert.equal(byDocument.certificate.nextIdentifier, aV2);
      // The new version shows as valid.
      assert.equal((await verify(await showToken(aToken, aV2))).json().result, 'valid');
    });

    test('a revoked certificate is REVOKED', async () => {
      const token = await showToken(bToken, bCert);
      const revoked = await push(t, client, [
        {
          sourceRecordId: 'V-B',
          sourceVersion: 2,
          event: 'revoke',
          kind: BUSINESS,
          regionCode: '210102',
          reason: '申请注销',
        },
      ]);
      assert.equal(revoked.json().results[0].status, 'updated', revoked.body);
      const res = (await verify(token)).json();
      assert.equal(res.result, 'invalid');
      assert.equal(res.reason, 'REVOKED');
      assert.equal(res.certificate.statusName, '已注销');
      assert.equal(res.message, '该电子证照已注销');
    });

    test('only staff with certificates.verify may verify or read the status list', async () => {
      const token = await showToken(aToken, aV1);
      const before = await verificationCount();
      const refused = await verify(token, issuer.token);
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().code, 'FORBIDDEN');
      assert.equal(
        (await t.app.inject({ url: '/api/v1/status-list', headers: bearer(issuer.token) })).statusCode,
        403,
      );
      assert.equal((await t.app.inject({ url: '/api/v1/status-list' })).statusCode, 401);
      assert.equal(
        (await t.app.inject({ method: 'POST', url: '/api/v1/verify', payload: { code: token } })).statusCode,
        401,
      );
      assert.equal(await verificationCount(), before, 'a refused caller leaves no record');
    });

    test('the outcome is recorded once, by the checking officer, with a reason when not recognized', async () => {
      const res = (await verify(await showToken(aToken, aV1))).json();
      const outcome = (id: string, payload: Record<string, unknown>, token = officer.token) =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/verify/${id}/outcome`,
          headers: bearer(token),
          payload,
        });
      const noReason = await outcome(res.verificationId, { recognized: false });
      assert.equal(noReason.statusCode, 400, noReason.body);
      const other = await outcome(
        res.verificationId,
        { recognized: false, reason: '不认可' },
        otherOfficer.token,
      );
      assert.equal(other.statusCode, 404);
      const ok = await outcome(res.verificationId, { recognized: false, reason: '现场要求出示纸质证件' });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().recognized, false);
      const twice = await outcome(res.verificationId, { recognized: true });
      assert.equal(twice.statusCode, 409);
      assert.equal(twice.json().code, 'VERIFICATION_OUTCOME_RECORDED');
      const [row] = await t.db.store.db
        .select()
        .from(verifications)
        .where(eq(verifications.id, res.verificationId));
      assert.equal(row!.recognized, false);
      assert.equal(row!.outcomeReason, '现场要求出示纸质证件');
      const audits = await t.db.store.query<{ n: number }>(
        sql`select count(*)::int as n from audit_log where action = 'verification.outcome'`,
      );
      assert.equal(Number(audits[0]!.n), 1);
    });

    test('the status list is signed by the seal and lists versions not in force', async () => {
      const res = await t.app.inject({ url: '/api/v1/status-list', headers: bearer(officer.token) });
      assert.equal(res.statusCode, 200, res.body);
      const { signature, ...body } = res.json();
      assert.equal(body.maxAgeSeconds, 86_400);
      assert.deepEqual(
        body.entries.filter((e: { identifier: string }) => e.identifier === aV1 || e.identifier === bCert),
        [
          { identifier: aV1, status: 'superseded' },
          { identifier: bCert, status: 'revoked' },
        ].sort((x, y) => x.identifier.localeCompare(y.identifier)),
      );
      const seal = parseCertificate(t.keyring.requireTrust().sealCertificate);
      const canonical = Buffer.from(canonicalize(body)!, 'utf8');
      assert.ok(verifySignature(seal.publicKey65, canonical, Buffer.from(signature, 'base64')));
      const altered = Buffer.from(canonicalize({ ...body, entries: [] })!, 'utf8');
      assert.equal(verifySignature(seal.publicKey65, altered, Buffer.from(signature, 'base64')), false);
    });

    test('activation counts issued and used certificates and not-recognized outcomes', async () => {
      const res = await t.app.inject({
        url: '/api/v1/stats/activation?year=2026',
        headers: bearer(admin.token),
      });
      assert.equal(res.statusCode, 200, res.body);
      const rows = res.json().rows as {
        regionCode: string;
        kind: string | null;
        issued: number;
        activated: number;
        activationRate: number | null;
        notRecognized: number;
      }[];
      const find = (regionCode: string, kind: string) =>
        rows.find((r) => r.regionCode === regionCode && r.kind === kind);
      // V-A (shown) and V-N (never used) as practitioner; V-B (shown) as business. V-A's version 2 is not "issued".
      assert.deepEqual(
        { issued: find('210102', PRACTITIONER)?.issued, activated: find('210102', PRACTITIONER)?.activated },
        { issued: 2, activated: 1 },
      );
      assert.equal(find('210102', PRACTITIONER)?.activationRate, 0.5);
      assert.deepEqual(
        { issued: find('210102', BUSINESS)?.issued, activated: find('210102', BUSINESS)?.activated },
        { issued: 1, activated: 1 },
      );
      // The not-recognized outcome belongs to the officer's region (the enforcing side).
      assert.equal(find('210100', PRACTITIONER)?.notRecognized, 1);
      assert.equal(find('210102', PRACTITIONER)?.notRecognized, 0);

      const lastYear = await t.app.inject({
        url: '/api/v1/stats/activation?year=2025',
        headers: bearer(admin.token),
      });
      assert.deepEqual(lastYear.json().rows, []);
      // The enforcement officer has no certificates.read.
      const refused = await t.app.inject({ url: '/api/v1/stats/activation', headers: bearer(officer.token) });
      assert.equal(refused.statusCode, 403);
      // A county issuer sees its own region only.
      const scoped = await t.app.inject({
        url: '/api/v1/stats/activation?year=2026',
        headers: bearer(issuer.token),
      });
      assert.equal(scoped.statusCode, 200, scoped.body);
      assert.ok(scoped.json().rows.every((r: { regionCode: string }) => r.regionCode === '210102'));
    });
  });
}
