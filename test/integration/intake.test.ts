import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { parseIdentifier } from '../../src/domain/identifiers.ts';
import { processOutbox } from '../../src/services/delivery/process-outbox.ts';
import { openIntakeContext } from '../../src/services/intake/context.ts';
import { expireCertificates } from '../../src/services/lifecycle/expire-certificates.ts';
import { certificates, deliveries, licences, nonstandardItems } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { intakeRecord, kindCodes, push, registerClient, type TestClient } from '../helpers/intake.ts';

const VEHICLE = '11100000000019713D013'; // 道路运输证
const PRACTITIONER = '11100000000019713D071'; // 从业资格证
const BUSINESS = '11100000000019713D008'; // 经营许可证
const families = [
  ['vehicle', VEHICLE],
  ['practitioner', PRACTITIONER],
  ['business', BUSINESS],
] as const;

for (const engine of await engines()) {
  describe(`intake and sealed issuance [${engine}]`, () => {
    let t: TestApp;
    let client: TestClient;
    let admin: { token: string };
    let dir: string;

    const count = async (table: string) =>
      Number(
        (await t.db.store.query<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n,
      );

    before(async () => {
      t = await createTestApp(engine);
      client = await registerClient(t);
      admin = await t.staff('admin', 'province-admin', '210000');
      dir = mkdtempSync(path.join(tmpdir(), 'roadcert-intake-'));
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a batch of all nine kinds is issued, one certificate each, with GB/T 36904 identifiers', async () => {
      const records = kindCodes.map((k, i) => intakeRecord(k, `ALL-${i}`, 1, 'issue', {}, i));
      const res = await push(t, client, records);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.received, 9);
      assert.deepEqual(body.summary, { issued: 9 });
      for (const [i, r] of body.results.entries()) {
        assert.equal(r.sourceRecordId, `ALL-${i}`);
        const id = parseIdentifier(r.identifier);
        assert.equal(id.typeCode, kindCodes[i]);
        assert.equal(id.version, 1);
      }
      assert.equal(await count('certificates'), 9);
    });

    test('the certificate carries signedData and an SM2 signature that openssl verifies with the published seal certificate', async () => {
      const res = await push(t, client, [intakeRecord(VEHICLE, 'SIG-1', 1, 'issue', {}, 101)]);
      const identifier = res.json().results[0].identifier;
      const detail = await t.app.inject({
        url: `/api/v1/certificates/${identifier}`,
        headers: bearer(admin.token),
      });
      assert.equal(detail.statusCode, 200, detail.body);
      const c = detail.json();
      assert.equal(c.status, 'valid');
      assert.equal(c.statusCode, '10');
      const signed = JSON.parse(Buffer.from(c.signedData, 'base64').toString('utf8'));
      assert.equal(signed.identifier, identifier);
      assert.equal(signed.kind.code, VEHICLE);
      assert.equal(signed.catalogVersion, 1);
      const trust = (await t.app.inject({ url: '/api/v1/trust' })).json();
      writeFileSync(path.join(dir, 'seal.pem'), trust.sealCertificate);
      execFileSync('openssl', [
        'x509',
        '-in',
        path.join(dir, 'seal.pem'),
        '-noout',
        '-pubkey',
        '-out',
        path.join(dir, 'pub.pem'),
      ]);
      writeFileSync(path.join(dir, 'data'), Buffer.from(c.signedData, 'base64'));
      writeFileSync(path.join(dir, 'sig'), Buffer.from(c.signature, 'base64'));
      const ok = execFileSync(
        'openssl',
        [
          'dgst',
          '-sm3',
          '-verify',
          path.join(dir, 'pub.pem'),
          '-sigopt',
          'distid:1234567812345678',
          '-signature',
          path.join(dir, 'sig'),
          path.join(dir, 'data'),
        ],
        { encoding: 'utf8' },
      );
      assert.match(ok, /Verified OK/);
      // One changed byte of the signed data no longer verifies.
      const tampered = Buffer.from(c.signedData, 'base64');
      tampered.writeUInt8(tampered.readUInt8(tampered.length - 3) ^ 1, tampered.length - 3);
      writeFileSync(path.join(dir, 'data'), tampered);
      assert.throws(() =>
        execFileSync(
          'openssl',
          [
            'dgst',
            '-sm3',
            '-verify',
            path.join(dir, 'pub.pem'),
            '-sigopt',
            'distid:1234567812345678',
            '-signature',
            path.join(dir, 'sig'),
            path.join(dir, 'data'),
          ],
          {
            stdio: 'pipe',
          },
        ),
      );
      // Reading personal data is audited.
      const reads = await t.db.store.query(
        sql`select 1 from audit_log where action = 'certificate.read' and target_id = ${identifier}`,
      );
      assert.equal(reads.length, 1);
    });

    test('the same sourceRecordId + sourceVersion again is a duplicate with the original outcome and changes nothing', async () => {
      const rec = intakeRecord(PRACTITIONER, 'DUP-1', 1, 'issue', {}, 202);
      const first = (await push(t, client, [rec])).json().results[0];
      const before = {
        certs: await count('certificates'),
        audit: await count('audit_log'),
        outbox: await count('outbox'),
      };
      const again = (await push(t, client, [rec])).json().results[0];
      assert.equal(again.status, 'duplicate');
      assert.equal(again.originalStatus, 'issued');
      assert.equal(again.identifier, first.identifier);
      assert.deepEqual(
        {
          certs: await count('certificates'),
          audit: await count('audit_log'),
          outbox: await count('outbox'),
        },
        before,
      );
    });

    for (const [family, kind] of families) {
      test(`${family}: baseline → annual review converts; change/reissue supersede; suspend, resume, revoke`, async () => {
        const id = `LIFE-${family}`;
        const idx = 300 + kind.length + family.length;
        const recorded = (await push(t, client, [intakeRecord(kind, id, 1, 'baseline', {}, idx)])).json()
          .results[0];
        assert.equal(recorded.status, 'recorded');
        assert.equal(recorded.identifier, undefined);
        const [paper] = await t.db.store.db.select().from(licences).where(eq(licences.sourceRecordId, id));
        assert.equal(paper?.state, 'paper');

        const converted = (
          await push(t, client, [intakeRecord(kind, id, 2, 'annual_review', {}, idx)])
        ).json().results[0];
        assert.equal(converted.status, 'issued', JSON.stringify(converted));
        const v1 = converted.identifier;

        const changed = (await push(t, client, [intakeRecord(kind, id, 3, 'change', {}, idx)])).json()
          .results[0];
        assert.equal(changed.status, 'updated');
        const v2 = changed.identifier;
        assert.equal(parseIdentifier(v2).version, 2);
        assert.equal(parseIdentifier(v2).serial, parseIdentifier(v1).serial);

        const reissued = (await push(t, client, [intakeRecord(kind, id, 4, 'reissue', {}, idx)])).json()
          .results[0];
        const v3 = reissued.identifier;
        assert.equal(parseIdentifier(v3).version, 3);

        const rows = await t.db.store.db
          .select()
          .from(certificates)
          .where(eq(certificates.sourceRecordId, id));
        const byId = new Map(rows.map((r) => [r.identifier, r]));
        assert.equal(byId.get(v1)?.status, 'superseded');
        assert.equal(byId.get(v1)?.nextIdentifier, v2);
        assert.equal(byId.get(v2)?.previousIdentifier, v1);
        assert.equal(byId.get(v2)?.nextIdentifier, v3);
        assert.equal(byId.get(v3)?.status, 'valid');

        const superseded = (
          await t.app.inject({ url: `/api/v1/certificates/${v1}`, headers: bearer(admin.token) })
        ).json();
        assert.equal(superseded.statusCode, '01');
        assert.equal(superseded.nextIdentifier, v2);

        const status = async (v: number, event: string, reason?: string) =>
          (
            await push(t, client, [
              {
                sourceRecordId: id,
                sourceVersion: v,
                event,
                kind,
                regionCode: '210102',
                ...(reason ? { reason } : {}),
              },
            ])
          ).json().results[0];
        assert.equal((await status(5, 'suspend', '停业整顿')).status, 'updated');
        assert.equal(
          (await t.db.store.db.select().from(certificates).where(eq(certificates.identifier, v3)))[0]?.status,
          'suspended',
        );
        const refused = await status(6, 'change');
        assert.equal(refused.status, 'rejected');
        assert.equal(refused.errors[0].code, 'LIFECYCLE_INVALID');
        assert.equal((await status(7, 'resume')).status, 'updated');
        assert.equal((await status(8, 'revoke', '申请注销')).status, 'updated');
        const revoked = (
          await t.db.store.db.select().from(certificates).where(eq(certificates.identifier, v3))
        )[0];
        assert.equal(revoked?.status, 'revoked');
        assert.equal(revoked?.statusReason, '申请注销');
        assert.equal((await status(9, 'resume')).status, 'rejected', 'revoked is terminal');

        const history = (
          await t.app.inject({ url: `/api/v1/certificates/${v3}/history`, headers: bearer(admin.token) })
        ).json();
        assert.deepEqual(
          history.versions.map((v: { version: number }) => v.version),
          [1, 2, 3],
        );
        assert.deepEqual(
          history.events.map((e: { event: string }) => e.event),
          ['baseline', 'annual_review', 'change', 'reissue', 'suspend', 'resume', 'revoke'],
        );
      });
    }

    for (const [family, kind] of families) {
      test(`${family}: issue, then an expire event from the source system; paper certificates expire too`, async () => {
        const id = `EXPEV-${family}`;
        const idx = 1100 + family.length;
        const issued = (await push(t, client, [intakeRecord(kind, id, 1, 'issue', {}, idx)])).json()
          .results[0];
        assert.equal(issued.status, 'issued');
        const expired = (
          await push(t, client, [
            { sourceRecordId: id, sourceVersion: 2, event: 'expire', kind, regionCode: '210102' },
          ])
        ).json().results[0];
        assert.equal(expired.status, 'updated');
        assert.equal(expired.identifier, issued.identifier);
        const [row] = await t.db.store.db
          .select()
          .from(certificates)
          .where(eq(certificates.identifier, issued.identifier));
        assert.equal(row?.status, 'expired');
        const paperId = `EXPEV-paper-${family}`;
        await push(t, client, [intakeRecord(kind, paperId, 1, 'baseline', {}, idx + 50)]);
        const paperExpired = (
          await push(t, client, [
            { sourceRecordId: paperId, sourceVersion: 2, event: 'expire', kind, regionCode: '210102' },
          ])
        ).json().results[0];
        assert.equal(paperExpired.status, 'updated');
        const [paper] = await t.db.store.db
          .select()
          .from(licences)
          .where(eq(licences.sourceRecordId, paperId));
        assert.equal(paper?.state, 'expired');
      });
    }

    test('an older version than the one held is rejected; expire events take the lifecycle path', async () => {
      await push(t, client, [intakeRecord(BUSINESS, 'OLD-1', 5, 'issue', {}, 401)]);
      const older = (await push(t, client, [intakeRecord(BUSINESS, 'OLD-1', 3, 'change', {}, 401)])).json()
        .results[0];
      assert.equal(older.status, 'rejected');
      assert.equal(older.errors[0].code, 'VERSION_OUTDATED');
    });

    test('records failing the standard checks become non-standard items with per-field problems, nothing sealed', async () => {
      const certsBefore = await count('certificates');
      const bad = intakeRecord(
        VEHICLE,
        'NS-1',
        1,
        'issue',
        { face: { plateNumber: '辽AI2345' }, holder: { id: '91210102MA0000000X' } },
        501,
      );
      const res = (await push(t, client, [bad])).json().results[0];
      assert.equal(res.status, 'nonstandard');
      const codes = res.errors.map((e: { code: string }) => e.code);
      assert.ok(codes.includes('PLATE_FORMAT'), codes.join());
      assert.ok(
        res.errors.every(
          (e: { field: string; message: string }) => e.field && /[\u4e00-\u9fa5]/.test(e.message),
        ),
      );
      assert.equal(await count('certificates'), certsBefore);
      const [item] = await t.db.store.db
        .select()
        .from(nonstandardItems)
        .where(eq(nonstandardItems.sourceRecordId, 'NS-1'));
      assert.equal(item?.status, 'open');
      assert.equal(item?.regionCode, '210102');
      // A corrected newer push replaces the open item and issues.
      const fixed = (await push(t, client, [intakeRecord(VEHICLE, 'NS-1', 2, 'issue', {}, 501)])).json()
        .results[0];
      assert.equal(fixed.status, 'issued');
      const [after1] = await t.db.store.db
        .select()
        .from(nonstandardItems)
        .where(eq(nonstandardItems.sourceRecordId, 'NS-1'));
      assert.equal(after1?.status, 'replaced');
    });

    test('every issued or updated certificate is delivered to the holder inbox through the outbox', async () => {
      const res = (await push(t, client, [intakeRecord(PRACTITIONER, 'DLV-1', 1, 'issue', {}, 601)])).json()
        .results[0];
      const pending = await count('outbox where processed_at is null');
      assert.ok(pending >= 1);
      const processed = await processOutbox(t.db.store.db, t.clock.now(), { limit: 10_000 });
      assert.ok(processed >= 1);
      assert.equal(await count('outbox where processed_at is null'), 0);
      const [delivery] = await t.db.store.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.identifier, res.identifier));
      assert.match(delivery!.title, /道路运输从业人员从业资格证已签发/);
      assert.ok(delivery!.deliveredAt);
      assert.equal(delivery!.readAt, null);
      // Processing again delivers nothing twice.
      await processOutbox(t.db.store.db, t.clock.now());
      assert.equal(
        (await t.db.store.db.select().from(deliveries).where(eq(deliveries.identifier, res.identifier)))
          .length,
        1,
      );
    });

    test('the daily expiry run expires certificates past validTo', async () => {
      const rec = intakeRecord(PRACTITIONER, 'EXP-1', 1, 'issue', { validTo: '2026-03-01' }, 701);
      const issued = (await push(t, client, [rec])).json().results[0];
      assert.equal(issued.status, 'issued', JSON.stringify(issued));
      const ctx = await openIntakeContext(t.ctx, t.keyring);
      const run = await expireCertificates(ctx, { today: '2026-03-02' });
      assert.ok(run.expired >= 1);
      const [row] = await t.db.store.db
        .select()
        .from(certificates)
        .where(eq(certificates.identifier, issued.identifier));
      assert.equal(row?.status, 'expired');
      const again = await expireCertificates(ctx, { today: '2026-03-02' });
      assert.equal(again.expired, 0);
    });

    test('coverage per region and kind counts paper, electronic and the non-standard backlog', async () => {
      await push(t, client, [intakeRecord(BUSINESS, 'COV-paper', 1, 'baseline', {}, 801)]);
      await push(t, client, [
        intakeRecord(BUSINESS, 'COV-bad', 1, 'issue', { face: { ownerName: '' } }, 802),
      ]);
      const res = await t.app.inject({
        url: `/api/v1/stats/coverage?kind=${BUSINESS}`,
        headers: bearer(admin.token),
      });
      assert.equal(res.statusCode, 200);
      const row = res.json().rows.find((r: { regionCode: string }) => r.regionCode === '210102');
      assert.ok(row.paperValid >= 1);
      assert.ok(row.electronicValid >= 1);
      assert.equal(row.knownValid, row.paperValid + row.electronicValid);
      assert.ok(row.nonstandardBacklog >= 1);
    });

    test('bad requests: signature, skew, replay, foreign region, malformed, oversized — refused, nothing written', async () => {
      const recs = [intakeRecord(VEHICLE, 'BAD-1', 1, 'issue', {}, 901)];
      const snapshot = async () => ({
        c: await count('certificates'),
        i: await count('intake_records'),
        n: await count('nonstandard_items'),
      });
      const before1 = await snapshot();

      const badSig = await push(t, client, recs, { signature: 'ab'.repeat(32) });
      assert.equal(badSig.statusCode, 401);
      assert.equal(badSig.json().code, 'CLIENT_SIGNATURE_INVALID');
      const skewed = await push(t, client, recs, {
        timestamp: new Date(t.clock.now().getTime() - 6 * 60_000).toISOString(),
      });
      assert.equal(skewed.statusCode, 401);
      assert.equal(skewed.json().code, 'CLIENT_TIMESTAMP_SKEW');
      const unknown = await push(t, { ...client, clientId: 'rc_nobody' }, recs);
      assert.equal(unknown.statusCode, 401);

      const body = JSON.stringify({ records: [intakeRecord(VEHICLE, 'REPLAY-1', 1, 'issue', {}, 902)] });
      const ts = t.clock.now().toISOString();
      const first = await push(t, client, [], { body, timestamp: ts });
      assert.equal(first.statusCode, 200);
      const replay = await push(t, client, [], { body, timestamp: ts });
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().code, 'CLIENT_REQUEST_REPLAYED');
      const refusals = await t.db.store.query<{ n: number }>(
        sql`select count(*)::int as n from audit_log where action = 'intake.auth_failed'`,
      );
      assert.ok(refusals[0]!.n >= 4, 'refusals are recorded');

      const before2 = await snapshot();
      const malformed = await push(t, client, [], { body: '{"records": [' });
      assert.equal(malformed.statusCode, 400);
      const tooMany = await push(
        t,
        client,
        Array.from({ length: 1001 }, () => ({})),
      );
      assert.equal(tooMany.statusCode, 413);
      assert.equal(tooMany.json().code, 'BATCH_TOO_LARGE');
      const notArray = await push(t, client, [], { body: JSON.stringify({ records: 'x' }) });
      assert.equal(notArray.statusCode, 400);

      const dalian = await registerClient(t, '210200', '大连市运政系统');
      const foreign = (
        await push(t, dalian, [intakeRecord(VEHICLE, 'FOREIGN-1', 1, 'issue', {}, 903)])
      ).json().results[0];
      assert.equal(foreign.status, 'rejected');
      assert.equal(foreign.errors[0].code, 'REGION_OUTSIDE_CLIENT');
      const mixed = (
        await push(t, client, [
          {
            sourceRecordId: 'X-1',
            sourceVersion: 1,
            event: 'issue',
            kind: '99999999999999999999Z',
            regionCode: '210102',
          },
          { sourceRecordId: 'X-2', sourceVersion: '1', event: 'fly', kind: VEHICLE, regionCode: '210102' },
          'not an object',
        ])
      ).json().results;
      assert.deepEqual(
        mixed.map((r: { status: string }) => r.status),
        ['rejected', 'rejected', 'rejected'],
      );
      assert.ok(mixed[0].errors.some((e: { code: string }) => e.code === 'KIND_UNKNOWN'));
      assert.ok(mixed[1].errors.some((e: { field: string }) => e.field === 'sourceVersion'));
      assert.ok(mixed[1].errors.some((e: { field: string }) => e.field === 'event'));
      const after2 = await snapshot();
      assert.deepEqual(after2, before2);
      assert.ok(before1.c <= after2.c);
    });

    test('staff of 大连 cannot read a 沈阳 certificate: 404', async () => {
      const res = (await push(t, client, [intakeRecord(VEHICLE, 'SCOPE-1', 1, 'issue', {}, 1001)])).json()
        .results[0];
      const dl = await t.staff('dlofficer', 'issuing-officer', '210200');
      const seen = await t.app.inject({
        url: `/api/v1/certificates/${res.identifier}`,
        headers: bearer(dl.token),
      });
      assert.equal(seen.statusCode, 404);
      const list = (await t.app.inject({ url: '/api/v1/certificates', headers: bearer(dl.token) })).json();
      assert.equal(list.items.length, 0);
      const reads = await t.db.store.query(
        sql`select 1 from audit_log where action = 'certificate.read' and target_id = ${res.identifier}`,
      );
      assert.equal(reads.length, 0);
    });
  });
}
