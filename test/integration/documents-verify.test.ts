import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { packOfd, unpackOfd } from '../../src/documents/ofd/package.ts';
import { nextVersion } from '../../src/domain/identifiers.ts';
import {
  currentStatus,
  type DocumentVerdict,
  MAX_DOCUMENT_BYTES,
  verifyCertificateDocument,
  verifyDocument,
} from '../../src/services/documents/verify-document.ts';
import { auditLog, usageEvents } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { intakeRecord, push, registerClient, type TestClient } from '../helpers/intake.ts';
import {
  ATTACHMENT_PATH,
  certificateOfd,
  certificatePdf,
  foreignSealingKeys,
  provinceSealingKeys,
  type SealingKeys,
} from '../helpers/sealed-document.ts';

const PRACTITIONER = '11100000000019713D071';
const BUSINESS = '11100000000019713D008';
const URL = '/api/v1/documents/verify';

/** A multipart/form-data body with one file part. */
function multipartBody(field: string, bytes: Uint8Array, filename = '证照.ofd') {
  const boundary = '----roadcert-test-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${encodeURIComponent(filename)}"\r\n` +
      'Content-Type: application/ofd\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, Buffer.from(bytes), tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

for (const engine of await engines()) {
  describe(`document verification: roadcert verify and POST /api/v1/documents/verify [${engine}]`, () => {
    let t: TestApp;
    let client: TestClient;
    let staff: { token: string; id: string };
    let keys: SealingKeys;
    let recA: ReturnType<typeof intakeRecord>;
    let recB: ReturnType<typeof intakeRecord>;
    let recC: ReturnType<typeof intakeRecord>;
    let aV1: string; // changed later → superseded
    let bCert: string; // revoked later
    let cCert: string; // suspended later
    let docA: Buffer;
    let docB: Buffer;
    let docC: Buffer;
    let pdfB: Buffer;

    const trust = () => t.keyring.requireTrust();
    const offline = (bytes: Uint8Array) => verifyDocument(bytes, { trust: trust(), status: 'offline' });
    const upload = (bytes: Uint8Array, token: string | null = staff.token, remoteAddress?: string) =>
      t.app.inject({
        method: 'POST',
        url: URL,
        headers: { 'content-type': 'application/octet-stream', ...(token ? bearer(token) : {}) },
        payload: Buffer.from(bytes),
        ...(remoteAddress ? { remoteAddress } : {}),
      });
    const verdictOf = async (bytes: Uint8Array, token: string | null = staff.token) => {
      const res = await upload(bytes, token);
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as DocumentVerdict;
    };
    const usage = (identifier: string) =>
      t.db.store.db
        .select()
        .from(usageEvents)
        .where(and(eq(usageEvents.identifier, identifier), eq(usageEvents.event, 'verify')));

    before(async () => {
      t = await createTestApp(engine);
      staff = await t.staff('officer', 'enforcement-officer', '210100');
      client = await registerClient(t);
      recA = intakeRecord(PRACTITIONER, 'D-A', 1, 'issue', {}, 501);
      recB = intakeRecord(BUSINESS, 'D-B', 1, 'issue', {}, 502);
      recC = intakeRecord(PRACTITIONER, 'D-C', 1, 'issue', {}, 503);
      const results = (await push(t, client, [recA, recB, recC])).json().results;
      assert.deepEqual(
        results.map((r: { status: string }) => r.status),
        ['issued', 'issued', 'issued'],
        JSON.stringify(results),
      );
      [aV1, bCert, cCert] = results.map((r: { identifier: string }) => r.identifier);
      keys = await provinceSealingKeys(t.ctx, t.keyring);
      docA = await certificateOfd(t.ctx, keys, aV1);
      docB = await certificateOfd(t.ctx, keys, bCert);
      docC = await certificateOfd(t.ctx, keys, cCert);
      pdfB = await certificatePdf(t.ctx, keys, bCert);
    });
    after(() => t.close());

    test('a genuine document of a certificate in force is valid; the check is a recorded use', async () => {
      const v = await verdictOf(docA);
      assert.equal(v.format, 'ofd');
      assert.equal(v.outcome, 'valid', JSON.stringify(v.reasons));
      assert.deepEqual(v.reasons, []);
      assert.equal(v.document?.identifier, aV1);
      assert.equal(v.document?.version, 1);
      assert.equal(v.document?.kindCode, PRACTITIONER);
      assert.equal(v.document?.certificateNumber, recA.certificateNumber);
      assert.equal(v.document?.issuerName, recA.issuer.name);
      assert.equal(v.document?.signedDataEmbedded, true);
      assert.equal(v.document?.seal.name, trust().sealName);
      assert.deepEqual(v.status, { state: 'valid', at: t.clock.now().toISOString() });
      assert.equal(v.checkedAt, t.clock.now().toISOString());
      // The answer carries the document's identifying metadata only, not the holder.
      assert.ok(!JSON.stringify(v).includes(recA.holder.name));

      assert.equal((await usage(aV1)).length, 1);
      const audit = await t.db.store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'document.verify'), eq(auditLog.targetId, aV1)));
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actorId, staff.id);
      assert.equal(audit[0]!.outcome, 'success');
    });

    test('multipart upload (field "file") gives the same verdict, also without signing in', async () => {
      const before = (await usage(bCert)).length;
      const form = multipartBody('file', docB);
      const res = await t.app.inject({ method: 'POST', url: URL, ...form, remoteAddress: '10.1.0.1' });
      assert.equal(res.statusCode, 200, res.body);
      const v = res.json() as DocumentVerdict;
      assert.equal(v.outcome, 'valid', JSON.stringify(v.reasons));
      assert.equal(v.document?.identifier, bCert);
      // An anonymous check is a use of the certificate, but leaves no audit record under anyone's name.
      assert.equal((await usage(bCert)).length, before + 1);
      const audit = await t.db.store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'document.verify'), eq(auditLog.targetId, bCert)));
      assert.equal(audit.length, 0);

      const wrongField = await t.app.inject({
        method: 'POST',
        url: URL,
        ...multipartBody('document', docB),
        headers: { ...multipartBody('document', docB).headers, ...bearer(staff.token) },
      });
      assert.equal(wrongField.statusCode, 400, wrongField.body);
      assert.match(wrongField.json().detail, /file/);
    });

    test("the platform's own rendered documents (download route, OFD and PDF) verify as valid", async () => {
      const admin = await t.staff('admin', 'province-admin', '210000');
      for (const format of ['ofd', 'pdf'] as const) {
        const download = await t.app.inject({
          url: `/api/v1/certificates/${cCert}/document?format=${format}`,
          headers: bearer(admin.token),
        });
        assert.equal(download.statusCode, 200, download.body);
        const v = await verdictOf(download.rawPayload);
        assert.equal(v.format, format);
        assert.equal(v.outcome, 'valid', `${format}: ${JSON.stringify(v.reasons)}`);
        assert.equal(v.document?.identifier, cCert);
        assert.equal(v.document?.signedDataEmbedded, true, `${format}: the signed data travels inside`);
        assert.equal(v.document?.kindCode, PRACTITIONER);
        assert.ok(v.document?.templateId, 'the template is named');
      }
    });

    test('PDF: the same checks by content, whatever the file is called', async () => {
      const v = await verdictOf(pdfB);
      assert.equal(v.format, 'pdf');
      assert.equal(v.outcome, 'valid', JSON.stringify(v.reasons));
      assert.equal(v.document?.identifier, bCert);
      assert.equal(v.document?.signedDataEmbedded, true);
      const form = multipartBody('file', pdfB, '证照.ofd'); // a misleading name changes nothing
      const res = await t.app.inject({
        method: 'POST',
        url: URL,
        payload: form.payload,
        headers: { ...form.headers, ...bearer(staff.token) },
      });
      assert.equal(res.json().format, 'pdf');
      assert.equal(res.json().outcome, 'valid');

      const changed = Buffer.from(pdfB);
      const at = changed.indexOf('/Catalog') + 2;
      changed[at] = changed[at]! ^ 0x20;
      const c = await offline(changed);
      assert.equal(c.outcome, 'tampered');
      assert.equal(c.reasons[0]!.code, 'DOCUMENT_CHANGED', JSON.stringify(c.reasons));
      const appended = await offline(Buffer.concat([pdfB, Buffer.from('\n% appended\n')]));
      assert.equal(appended.outcome, 'tampered');
      assert.ok(appended.reasons.length > 0 && appended.reasons.every((r) => r.message.length > 0));

      const forged = await certificatePdf(t.ctx, await foreignSealingKeys(trust().sealName), bCert);
      assert.equal((await offline(forged)).outcome, 'unknown_issuer');
    });

    test('one changed byte in any file of the package is tampering, and the verdict names the file', async () => {
      const files = unpackOfd(docA);
      assert.ok(files.has(ATTACHMENT_PATH));
      assert.ok(files.size >= 9, [...files.keys()].join(', '));
      for (const [path, data] of files) {
        const changed = Buffer.from(data);
        // XML: one letter of the declaration (keeps it well-formed); binaries: a byte in the middle.
        const at = path.endsWith('.xml') ? changed.indexOf('UTF-8') : Math.floor(changed.length / 2);
        changed[at] = changed[at]! ^ 0x20;
        const repacked = packOfd(new Map([...files, [path, changed]]));
        const v = await offline(repacked);
        assert.equal(v.outcome, 'tampered', `${path}: ${JSON.stringify(v.reasons)}`);
        assert.ok(
          v.reasons.some((r) => r.path === path),
          `${path} should be named: ${JSON.stringify(v.reasons)}`,
        );
        assert.equal(v.document, undefined, 'nothing from a refused document is reported');
        assert.equal(v.status, undefined);
      }
      // A file slipped in after sealing is named too.
      const added = await offline(packOfd(new Map([...files, ['Doc_0/Res/extra.png', Buffer.from('x')]])));
      assert.equal(added.outcome, 'tampered');
      assert.equal(added.reasons[0]!.code, 'UNREFERENCED_FILE');
      assert.equal(added.reasons[0]!.path, 'Doc_0/Res/extra.png');
    });

    test('one changed byte of the ZIP itself is tampering', async () => {
      for (const fraction of [0.3, 0.5, 0.8]) {
        const zip = Buffer.from(docA);
        const at = Math.floor(zip.length * fraction);
        zip[at] = zip[at]! ^ 0xff;
        const v = await verdictOf(zip);
        assert.equal(v.outcome, 'tampered', `byte ${at}: ${JSON.stringify(v)}`);
        assert.ok(v.reasons.length > 0 && v.reasons.every((r) => r.message.length > 0));
      }
    });

    test('a seal from a root the province does not publish is an unknown issuer', async () => {
      const forged = await certificateOfd(t.ctx, await foreignSealingKeys(trust().sealName), aV1);
      const v = await verdictOf(forged);
      assert.equal(v.outcome, 'unknown_issuer', JSON.stringify(v.reasons));
      assert.equal(v.reasons[0]!.code, 'CERTIFICATE_NOT_TRUSTED');
      assert.equal(v.document, undefined);
      assert.equal(v.status, undefined, 'no status for a document the province did not seal');
    });

    test('metadata that disagrees with the embedded signed data is tampering', async () => {
      const otherData = unpackOfd(docB).get(ATTACHMENT_PATH)!;
      const swapped = await certificateOfd(t.ctx, keys, aV1, { attachment: otherData });
      const v = await offline(swapped);
      assert.equal(v.outcome, 'tampered');
      assert.deepEqual(
        v.reasons.map((r) => [r.code, r.path]),
        [['SIGNED_DATA_MISMATCH', ATTACHMENT_PATH]],
      );
      // Same digest claimed, but the identifier in the metadata names another certificate.
      const relabelled = await certificateOfd(t.ctx, keys, aV1, { metadata: { identifier: bCert } });
      const r = await offline(relabelled);
      assert.equal(r.outcome, 'tampered');
      assert.equal(r.reasons[0]!.code, 'METADATA_MISMATCH');
      assert.match(r.reasons[0]!.message, /电子证照标识/);
    });

    test('offline: the seal holds, the status is reported as not checked', async () => {
      const v = await verifyCertificateDocument(t.ctx, t.keyring, t.cliActor, docA, { offline: true });
      assert.equal(v.outcome, 'status_unknown');
      assert.deepEqual(
        v.reasons.map((r) => r.code),
        ['STATUS_NOT_CHECKED'],
      );
      assert.equal(v.status, undefined);
      assert.equal(v.document?.identifier, aV1);
    });

    test('a sealed document naming a certificate the platform does not know: status unknown, nothing recorded', async () => {
      // A well-formed identifier of a version that was never issued.
      const unknown = nextVersion(nextVersion(cCert));
      const doc = await certificateOfd(t.ctx, keys, cCert, {
        metadata: { identifier: unknown },
        attachment: null,
      });
      const v = await verdictOf(doc);
      assert.equal(v.outcome, 'status_unknown');
      assert.equal(v.reasons[0]!.code, 'CERTIFICATE_UNKNOWN');
      assert.equal(v.status, undefined);
      assert.equal(v.document?.signedDataEmbedded, false);
      assert.equal((await usage(unknown)).length, 0);
      // The platform's data for a known identifier must match the document's digest.
      const other = await certificateOfd(t.ctx, keys, cCert, {
        metadata: { signedDataSm3: 'ab'.repeat(32) },
        attachment: null,
      });
      const m = await verdictOf(other);
      assert.equal(m.outcome, 'status_unknown');
      assert.equal(m.reasons[0]!.code, 'DIGEST_MISMATCH');
    });

    test('revoked, superseded (with the newer identifier), suspended and expired, through intake', async () => {
      t.clock.advance(1000);
      const results = (
        await push(t, client, [
          {
            sourceRecordId: 'D-B',
            sourceVersion: 2,
            event: 'revoke',
            kind: BUSINESS,
            regionCode: recB.regionCode,
            reason: '申请注销',
          },
          intakeRecord(PRACTITIONER, 'D-A', 2, 'change', {}, 501),
          {
            sourceRecordId: 'D-C',
            sourceVersion: 2,
            event: 'suspend',
            kind: PRACTITIONER,
            regionCode: recC.regionCode,
            reason: '暂扣',
          },
        ])
      ).json().results;
      assert.deepEqual(
        results.map((r: { status: string }) => r.status),
        ['updated', 'updated', 'updated'],
        JSON.stringify(results),
      );
      const aV2 = results[1].identifier as string;

      const revoked = await verdictOf(docB);
      assert.equal(revoked.outcome, 'signature_valid_status_revoked');
      assert.equal((await verdictOf(pdfB)).outcome, 'signature_valid_status_revoked');
      assert.equal(revoked.status?.state, 'revoked');
      assert.equal(revoked.reasons[0]!.message, '该电子证照已注销');

      const superseded = await verdictOf(docA);
      assert.equal(superseded.outcome, 'signature_valid_status_superseded');
      assert.equal(superseded.status?.state, 'superseded');
      assert.equal(superseded.status?.supersededBy, aV2);
      assert.match(superseded.reasons[0]!.message, new RegExp(aV2.replaceAll('.', '\\.')));

      const suspended = await verdictOf(docC);
      assert.equal(suspended.outcome, 'signature_valid_status_suspended');
      assert.equal(suspended.status?.state, 'suspended');

      // The new version's own document is valid, until the licence expires.
      const docA2 = await certificateOfd(t.ctx, keys, aV2);
      assert.equal((await verdictOf(docA2)).outcome, 'valid');
      t.clock.advance(1000);
      const expired = await push(t, client, [
        {
          sourceRecordId: 'D-A',
          sourceVersion: 3,
          event: 'expire',
          kind: PRACTITIONER,
          regionCode: recA.regionCode,
          reason: '有效期届满',
        },
      ]);
      assert.equal(expired.json().results[0].status, 'updated', expired.body);
      const e = await verdictOf(docA2);
      assert.equal(e.outcome, 'signature_valid_status_expired');
      assert.deepEqual(e.status, { state: 'expired', at: t.clock.now().toISOString() });
      assert.equal(e.reasons[0]!.message, '该电子证照已过期');
    });

    test('expired by date: a version past its validity is expired even before the daily job marks it', () => {
      const now = new Date('2026-03-02T02:00:00Z'); // 10:00 in Beijing
      assert.equal(currentStatus({ status: 'valid', validTo: '2026-03-01' }, now), 'expired');
      assert.equal(currentStatus({ status: 'valid', validTo: '2026-03-02' }, now), 'valid');
      assert.equal(currentStatus({ status: 'suspended', validTo: '2020-01-01' }, now), 'expired');
      assert.equal(currentStatus({ status: 'revoked', validTo: '2020-01-01' }, now), 'revoked');
      assert.equal(currentStatus({ status: 'valid', validTo: null }, now), 'valid');
    });

    test('bad uploads: not a document 400, too large 413, wrong type 415, bad token 401', async () => {
      const garbage = await upload(Buffer.from('这不是一个文档'));
      assert.equal(garbage.statusCode, 400);
      assert.equal(garbage.json().code, 'DOCUMENT_UNRECOGNIZED');
      assert.match(garbage.headers['content-type'] as string, /problem\+json/);
      const empty = await upload(Buffer.alloc(0));
      assert.equal(empty.statusCode, 400);

      const big = Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x20);
      Buffer.from('PK\x03\x04', 'latin1').copy(big);
      const raw = await upload(big);
      assert.equal(raw.statusCode, 413, raw.body);
      assert.equal(raw.json().code, 'PAYLOAD_TOO_LARGE');
      assert.match(raw.json().detail, /20 MB/);
      const form = multipartBody('file', big);
      const multi = await t.app.inject({
        method: 'POST',
        url: URL,
        payload: form.payload,
        headers: { ...form.headers, ...bearer(staff.token) },
      });
      assert.equal(multi.statusCode, 413, multi.body);
      assert.equal(multi.json().code, 'PAYLOAD_TOO_LARGE');

      const json = await t.app.inject({
        method: 'POST',
        url: URL,
        headers: bearer(staff.token),
        payload: { file: 'x' },
      });
      assert.equal(json.statusCode, 415, json.body);

      const badToken = await upload(docA, 'x'.repeat(40));
      assert.equal(badToken.statusCode, 401);
    });

    test(`anonymous checks are rate limited per address; signed-in staff are not held by that limit`, async () => {
      const address = '10.9.9.9';
      const codes: number[] = [];
      for (let i = 0; i < 11; i++) codes.push((await upload(Buffer.from('x'), null, address)).statusCode);
      assert.deepEqual(codes.slice(0, 10), Array(10).fill(400));
      assert.equal(codes[10], 429);
      const asStaff = await upload(Buffer.from('x'), staff.token, address);
      assert.equal(asStaff.statusCode, 400);
    });
  });
}
