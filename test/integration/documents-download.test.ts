import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { sm3Hex } from '../../src/crypto/sm3.ts';
import { parseCertificate } from '../../src/crypto/x509.ts';
import { unpackOfd } from '../../src/documents/ofd/package.ts';
import { verifyOfd } from '../../src/documents/ofd/verify-ofd.ts';
import { verifyPdf } from '../../src/documents/pdf/verify-pdf.ts';
import { getCertificateDocument } from '../../src/services/documents/get-certificate-document.ts';
import { certificateDocuments, documentSeals, usageEvents } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { intakeRecord, push, registerClient } from '../helpers/intake.ts';

const PRACTITIONER = '11100000000019713D071';
const VEHICLE = '11100000000019713D013';

for (const engine of await engines()) {
  describe(`certificate document downloads [${engine}]`, () => {
    let t: TestApp;
    let officer: { token: string };
    let outsider: { token: string };
    let person: string;
    let vehicle: string;
    let holderToken: string;
    let otherHolderToken: string;

    const staffGet = (identifier: string, token: string, query = '?format=ofd', headers = {}) =>
      t.app.inject({
        url: `/api/v1/certificates/${identifier}/document${query}`,
        headers: { ...bearer(token), ...headers },
      });
    const walletGet = (identifier: string, token: string, query = '?format=pdf') =>
      t.app.inject({
        url: `/api/v1/wallet/certificates/${identifier}/document${query}`,
        headers: bearer(token),
      });
    const signIn = async (h: { idType: string; id: string; phone: string }) => {
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
    const trustedRoots = () => [parseCertificate(t.keyring.requireTrust().rootCertificate)];

    before(async () => {
      t = await createTestApp(engine);
      officer = await t.staff('heping-officer', 'issuing-officer', '210102');
      outsider = await t.staff('dalian-officer', 'issuing-officer', '210200');
      const client = await registerClient(t);
      const recA = intakeRecord(PRACTITIONER, 'D-A', 1, 'issue', {}, 401);
      const recB = intakeRecord(VEHICLE, 'D-B', 1, 'issue', {}, 402);
      const results = (await push(t, client, [recA, recB])).json().results;
      person = results[0].identifier;
      vehicle = results[1].identifier;
      holderToken = await signIn({
        idType: recA.holder.idType,
        id: recA.holder.id,
        phone: recA.holder.phone!,
      });
      otherHolderToken = await signIn({
        idType: recB.holder.idType,
        id: recB.holder.id,
        phone: recB.holder.phone!,
      });
    });
    after(() => t.close());

    test('staff download an OFD: rendered once, then the same stored bytes with ETag = SM3', async () => {
      const first = await staffGet(person, officer.token);
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.headers['content-type'], 'application/ofd');
      const bytes = first.rawPayload;
      assert.equal(first.headers.etag, `"${sm3Hex(bytes)}"`);
      assert.match(
        String(first.headers['content-disposition']),
        /^attachment; filename="1\.2\.156\.3005\.2\.[0-9A-Z.]+\.ofd"; filename\*=UTF-8''/,
      );
      const encoded = String(first.headers['content-disposition']).split("UTF-8''")[1]!;
      assert.match(decodeURIComponent(encoded), /^道路运输从业人员从业资格证_尾号\d{3}[\dX]\.ofd$/);

      const verdict = verifyOfd(bytes, { trustedRoots: trustedRoots() });
      assert.deepEqual(verdict.failures, []);
      assert.equal(verdict.customData?.identifier, person);
      assert.equal(verdict.customData?.templateId, 'tpl-071-v1');
      const stored = (
        await t.db.store.query<{ signed_data_digest: string; signed_at: Date }>(
          sql`select signed_data_digest, signed_at from certificates where identifier = ${person}`,
        )
      )[0]!;
      assert.equal(verdict.customData?.signedDataSm3, stored.signed_data_digest);
      assert.equal(
        verdict.signer?.signedAt.toISOString(),
        new Date(stored.signed_at).toISOString(),
        'signed at issuance',
      );
      const attached = unpackOfd(bytes).get('Doc_0/Attachs/certificate.json')!;
      assert.equal(sm3Hex(attached), stored.signed_data_digest);

      // Later: the stored bytes, identical, and a 304 for a matching If-None-Match.
      t.clock.advance(60_000);
      const again = await staffGet(person, officer.token);
      assert.equal(again.statusCode, 200);
      assert.ok(again.rawPayload.equals(bytes), 'cache hit returns identical bytes');
      const notModified = await staffGet(person, officer.token, '?format=ofd', {
        'if-none-match': first.headers.etag,
      });
      assert.equal(notModified.statusCode, 304);
      const rows = await t.db.store.db
        .select()
        .from(certificateDocuments)
        .where(eq(certificateDocuments.identifier, person));
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.regionCode, '210102');
      assert.equal(rows[0]!.sm3, sm3Hex(bytes));
      assert.ok(rows[0]!.bytes.equals(bytes));
      // Reads of personal data are audited.
      const audits = await t.db.store.query<{ n: number }>(
        sql`select count(*)::int as n from audit_log where action = 'certificate.read' and target_id = ${person}`,
      );
      assert.equal(audits[0]!.n, 3);
    });

    test('concurrent first requests all succeed and get the one stored document', async () => {
      const ctx = { ...t.ctx, requestId: 'concurrent' };
      const docs = await Promise.all(
        [1, 2, 3].map(() =>
          getCertificateDocument(
            ctx,
            { keyring: t.keyring },
            {
              type: 'staff',
              id: 'staff:concurrent',
              username: 'concurrent',
              role: 'province-admin',
              regionCode: '210000',
              permissions: ['certificates.read'],
            },
            vehicle,
            'pdf',
          ),
        ),
      );
      for (const d of docs) assert.ok(d.bytes.equals(docs[0]!.bytes));
      assert.ok(docs.some((d) => d.rendered));
      const rows = await t.db.store.db
        .select()
        .from(certificateDocuments)
        .where(and(eq(certificateDocuments.identifier, vehicle), eq(certificateDocuments.format, 'pdf')));
      assert.equal(rows.length, 1);
      assert.ok(rows[0]!.bytes.equals(docs[0]!.bytes));
      // One seal for the key, made once and reused.
      assert.equal((await t.db.store.db.select().from(documentSeals)).length, 1);
    });

    test('staff outside the region get 404; a bad format is 400; unauthenticated 401', async () => {
      const outside = await staffGet(person, outsider.token);
      assert.equal(outside.statusCode, 404, outside.body);
      assert.equal(outside.json().code, 'NOT_FOUND');
      const bad = await staffGet(person, officer.token, '?format=docx');
      assert.equal(bad.statusCode, 400, bad.body);
      const anonymous = await t.app.inject({ url: `/api/v1/certificates/${person}/document?format=pdf` });
      assert.equal(anonymous.statusCode, 401);
      // Both downloads are in the OpenAPI document, with the format choice.
      const spec = (await t.app.inject({ url: '/openapi.json' })).json();
      for (const path of [
        '/api/v1/certificates/{identifier}/document',
        '/api/v1/wallet/certificates/{identifier}/document',
      ]) {
        const params = spec.paths[path]?.get?.parameters ?? [];
        assert.ok(
          params.some((p: { name: string }) => p.name === 'format'),
          `${path} documented with ?format`,
        );
      }
      // A holder token is not a staff token.
      const holderAsStaff = await staffGet(person, holderToken);
      assert.equal(holderAsStaff.statusCode, 401);
    });

    test('the holder downloads their own PDF, recorded as a download; others get 404', async () => {
      const before = await t.db.store.db
        .select()
        .from(usageEvents)
        .where(and(eq(usageEvents.identifier, person), eq(usageEvents.event, 'download')));
      const res = await walletGet(person, holderToken);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], 'application/pdf');
      assert.equal(res.headers.etag, `"${sm3Hex(res.rawPayload)}"`);
      const verdict = await verifyPdf(res.rawPayload, { trustedRoots: trustedRoots() });
      assert.deepEqual(verdict.failures, []);
      assert.equal(verdict.customData?.identifier, person);
      const events = await t.db.store.db
        .select()
        .from(usageEvents)
        .where(and(eq(usageEvents.identifier, person), eq(usageEvents.event, 'download')));
      assert.equal(events.length, before.length + 1);
      assert.equal(events.at(-1)!.regionCode, '210102');

      const again = await walletGet(person, holderToken);
      assert.ok(again.rawPayload.equals(res.rawPayload), 'same stored PDF');

      const notTheirs = await walletGet(person, otherHolderToken);
      assert.equal(notTheirs.statusCode, 404, notTheirs.body);
      const bad = await walletGet(person, holderToken, '?format=xml');
      assert.equal(bad.statusCode, 400);
      const staffAsHolder = await walletGet(person, officer.token);
      assert.equal(staffAsHolder.statusCode, 401);
      const after = await t.db.store.db
        .select()
        .from(usageEvents)
        .where(and(eq(usageEvents.identifier, person), eq(usageEvents.event, 'download')));
      assert.equal(after.length, before.length + 2, 'refused requests record nothing');
    });
  });
}
