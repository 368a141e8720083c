import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { signRequest } from '../../src/services/clients/authenticate-client.ts';
import { createClient } from '../../src/services/clients/create-client.ts';
import { auditLog, shareAccesses, shareCodes, usageEvents } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { intakeRecord, push, registerClient, type TestClient } from '../helpers/intake.ts';

const PRACTITIONER = '11100000000019713D071'; // 从业资格证: a person
const RIDE_HAILING = '11100000000019713D072'; // 网约车驾驶员证: a person

type Holder = { idType: string; id: string; phone: string };
type Party = { clientId: string; secret: string };

let tick = 0;

for (const engine of await engines()) {
  describe(`authorized sharing (授权用证) [${engine}]`, () => {
    let t: TestApp;
    let source: TestClient;
    let party: Party; // the relying party the holder trusts
    let other: Party; // another relying party
    let issuer: { token: string };
    let aCert: string; // holder A's practitioner certificate
    let aSecond: string; // holder A's second certificate (not granted)
    let bCert: string; // holder B's certificate, in another city
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
    const relying = async (name: string): Promise<Party> => {
      const c = await createClient(t.ctx, t.cliActor, { name, regionCode: '210000', kind: 'relying' });
      return { clientId: c.clientId, secret: c.secret };
    };
    const grant = (token: string, body: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/wallet/grants', headers: bearer(token), payload: body });
    const inAMonth = () => new Date(t.clock.now().getTime() + 30 * 86_400_000).toISOString();
    /** A relying party's signed GET; each call gets a fresh timestamp, so it is not a replay. */
    const signedHeaders = (p: Party, url: string, timestamp?: string) => {
      const ts = timestamp ?? new Date(t.clock.now().getTime() + (tick++ % 60_000)).toISOString();
      return {
        'x-client-id': p.clientId,
        'x-timestamp': ts,
        'x-signature': signRequest(p.secret, ts, '', `GET ${url}`),
      };
    };
    const read = (p: Party, identifier: string, cred: { grant?: string; code?: string }) => {
      const url = `/api/v1/share/certificates/${identifier}`;
      return t.app.inject({
        url,
        headers: {
          ...signedHeaders(p, url),
          ...(cred.grant ? { 'x-grant-id': cred.grant } : {}),
          ...(cred.code ? { 'x-share-code': cred.code } : {}),
        },
      });
    };
    /** The parts of a problem body that do not vary per request. */
    const problem = (res: { json(): unknown }) => {
      const { requestId: _r, instance: _i, ...rest } = res.json() as Record<string, unknown>;
      return rest;
    };
    const accesses = (clientId: string) =>
      t.db.store.db.select().from(shareAccesses).where(eq(shareAccesses.clientId, clientId));

    before(async () => {
      t = await createTestApp(engine);
      issuer = await t.staff('issuer', 'issuing-officer', '210102');
      source = await registerClient(t);
      party = await relying('沈阳某物流平台');
      other = await relying('大连某货运平台');
      const recA = intakeRecord(PRACTITIONER, 'S-A', 1, 'issue', {}, 501);
      // The same sample index is the same person: holder A holds both.
      const recA2 = intakeRecord(RIDE_HAILING, 'S-A2', 1, 'issue', {}, 501);
      const recB = intakeRecord(PRACTITIONER, 'S-B', 1, 'issue', { regionCode: '210202' }, 503);
      const results = (await push(t, source, [recA, recA2, recB])).json().results;
      assert.deepEqual(
        results.map((r: { status: string }) => r.status),
        ['issued', 'issued', 'issued'],
        JSON.stringify(results),
      );
      [aCert, aSecond, bCert] = results.map((r: { identifier: string }) => r.identifier);
      aToken = await signIn(holderOf(recA));
      bToken = await signIn(holderOf(recB));
    });
    after(() => t.close());

    test('the holder picks relying parties (not source systems) and fields of an own certificate', async () => {
      const parties = await t.app.inject({ url: '/api/v1/wallet/relying-parties', headers: bearer(aToken) });
      assert.equal(parties.statusCode, 200, parties.body);
      const ids = parties.json().items.map((p: { id: string }) => p.id);
      assert.deepEqual(ids.sort(), [party.clientId, other.clientId].sort());
      assert.ok(!ids.includes(source.clientId));

      const fields = await t.app.inject({
        url: `/api/v1/wallet/certificates/${aCert}/share-fields`,
        headers: bearer(aToken),
      });
      assert.equal(fields.statusCode, 200, fields.body);
      const keys = fields.json().items.map((f: { key: string }) => f.key);
      for (const k of ['certificateNumber', 'name', 'gender', 'birthDate', 'qualificationCategories']) {
        assert.ok(keys.includes(k), k);
      }
      assert.equal(fields.json().items.find((f: { key: string }) => f.key === 'name').label, '姓名');
      const foreign = await t.app.inject({
        url: `/api/v1/wallet/certificates/${bCert}/share-fields`,
        headers: bearer(aToken),
      });
      assert.equal(foreign.statusCode, 404);
    });

    test('a grant is validated: own certificates, known fields, a relying party, at most a year', async () => {
      const base = { clientId: party.clientId, identifiers: [aCert], fields: ['name'], purpose: '资格核验' };
      const cases: [Record<string, unknown>, number, string][] = [
        [{ ...base, fields: ['name', 'plateNumber'], expiresAt: inAMonth() }, 400, 'plateNumber'],
        [{ ...base, identifiers: [aCert, bCert], expiresAt: inAMonth() }, 404, '不存在'],
        [{ ...base, clientId: source.clientId, expiresAt: inAMonth() }, 400, '用证方'],
        [
          { ...base, expiresAt: new Date(t.clock.now().getTime() + 400 * 86_400_000).toISOString() },
          400,
          '一年',
        ],
        [{ ...base, expiresAt: new Date(t.clock.now().getTime() - 1000).toISOString() }, 400, '一年'],
      ];
      const before = await t.db.store.query<{ n: number }>(sql`select count(*)::int as n from share_grants`);
      for (const [body, status, text] of cases) {
        const res = await grant(aToken, body);
        assert.equal(res.statusCode, status, `${JSON.stringify(body)} → ${res.body}`);
        assert.match(res.json().detail, new RegExp(text));
      }
      const afterRows = await t.db.store.query<{ n: number }>(
        sql`select count(*)::int as n from share_grants`,
      );
      assert.equal(Number(afterRows[0]!.n), Number(before[0]!.n), 'a refused grant writes nothing');
    });

    test('grant → the relying party reads only the granted fields, logged and audited', async () => {
      const res = await grant(aToken, {
        clientId: party.clientId,
        identifiers: [aCert],
        fields: ['name', 'qualificationCategories', 'certificateNumber'],
        purpose: '货运平台驾驶员资格核验',
        expiresAt: inAMonth(),
      });
      assert.equal(res.statusCode, 201, res.body);
      const g = res.json();
      assert.equal(g.state, 'active');
      assert.equal(g.basis, 'consent');
      assert.equal(g.relyingParty.name, '沈阳某物流平台');
      assert.deepEqual(
        g.certificates.map((c: { identifier: string }) => c.identifier),
        [aCert],
      );
      assert.deepEqual(
        g.fields.map((f: { label: string }) => f.label),
        ['姓名', '从业资格类别', '证照编号'],
      );

      const r = await read(party, aCert, { grant: g.id });
      assert.equal(r.statusCode, 200, r.body);
      const body = r.json();
      assert.equal(body.identifier, aCert);
      assert.equal(body.status, 'valid');
      assert.deepEqual(Object.keys(body.fields).sort(), [
        'certificateNumber',
        'name',
        'qualificationCategories',
      ]);
      const detail = (
        await t.app.inject({ url: `/api/v1/wallet/certificates/${aCert}`, headers: bearer(aToken) })
      ).json();
      assert.equal(body.fields.name, detail.face.name);
      assert.deepEqual(body.fields.qualificationCategories, detail.face.qualificationCategories);
      assert.equal(body.fields.certificateNumber, detail.certificateNumber);
      assert.equal(body.fields.birthDate, undefined, 'a field not granted is not answered');
      assert.equal(body.labels.name, '姓名');
      assert.equal(body.access.basis, 'consent');
      assert.equal(body.access.purpose, '货运平台驾驶员资格核验');

      const [access] = (await accesses(party.clientId)).filter((a) => a.id === body.access.id);
      assert.equal(access!.outcome, 'granted');
      assert.equal(access!.grantId, g.id);
      assert.equal(access!.identifier, aCert);
      const events = await t.db.store.db
        .select()
        .from(usageEvents)
        .where(and(eq(usageEvents.identifier, aCert), eq(usageEvents.event, 'share')));
      assert.equal(events.length, 1);
      assert.equal(events[0]!.refId, body.access.id);
      const audits = await t.db.store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'share.read'), eq(auditLog.targetId, aCert)));
      assert.equal(audits.length, 1);
      assert.equal(audits[0]!.outcome, 'success');
      assert.equal(audits[0]!.actorId, `client:${party.clientId}`);
      const grantAudit = await t.db.store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'share.grant'), eq(auditLog.targetId, g.id)));
      assert.equal(grantAudit.length, 1);
    });

    test('another relying party, an unknown and a not-granted identifier are refused without telling which', async () => {
      const g = (
        await grant(aToken, {
          clientId: party.clientId,
          identifiers: [aCert],
          fields: ['name'],
          purpose: '资格核验',
          expiresAt: inAMonth(),
        })
      ).json();
      const foreign = await read(other, aCert, { grant: g.id });
      assert.equal(foreign.statusCode, 403, foreign.body);
      assert.equal(foreign.json().code, 'SHARE_GRANT_INVALID');
      const made = await read(party, aCert, { grant: '00000000-0000-4000-8000-000000000000' });
      assert.equal(made.json().code, 'SHARE_GRANT_INVALID');
      // The same refusal for a grant that does not exist and for someone else's grant.
      assert.deepEqual(problem(foreign), problem(made));

      const unknownId = `${aCert.slice(0, -8)}99999999`;
      const unknown = await read(party, unknownId, { grant: g.id });
      const otherHolders = await read(party, bCert, { grant: g.id });
      const notGranted = await read(party, aSecond, { grant: g.id });
      for (const r of [unknown, otherHolders, notGranted]) {
        assert.equal(r.statusCode, 404, r.body);
        assert.equal(r.json().code, 'NOT_FOUND');
      }
      assert.deepEqual(problem(unknown), problem(otherHolders));
      assert.deepEqual(problem(unknown), problem(notGranted));
      assert.equal(unknown.headers['content-length'], notGranted.headers['content-length']);

      const refused = (await accesses(party.clientId)).filter((a) => a.outcome === 'refused');
      assert.ok(refused.some((a) => a.requestedIdentifier === bCert && a.reason === 'NOT_FOUND'));
      assert.ok(refused.some((a) => a.requestedIdentifier === unknownId && a.identifier === null));
      assert.ok((await accesses(other.clientId)).some((a) => a.reason === 'SHARE_GRANT_INVALID'));
    });

    test('a withdrawn grant stops reads at once; an expired one too', async () => {
      const g = (
        await grant(aToken, {
          clientId: party.clientId,
          identifiers: [aCert],
          fields: ['name'],
          purpose: '资格核验',
          expiresAt: new Date(t.clock.now().getTime() + 5 * 60_000).toISOString(),
        })
      ).json();
      assert.equal((await read(party, aCert, { grant: g.id })).statusCode, 200);
      // Another holder cannot withdraw it.
      const notTheirs = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/wallet/grants/${g.id}`,
        headers: bearer(bToken),
      });
      assert.equal(notTheirs.statusCode, 404);
      const withdrawn = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/wallet/grants/${g.id}`,
        headers: bearer(aToken),
      });
      assert.equal(withdrawn.statusCode, 200, withdrawn.body);
      assert.equal(withdrawn.json().state, 'withdrawn');
      const r = await read(party, aCert, { grant: g.id });
      assert.equal(r.statusCode, 403);
      assert.equal(r.json().code, 'SHARE_GRANT_WITHDRAWN');
      const list = await t.app.inject({ url: '/api/v1/wallet/grants', headers: bearer(aToken) });
      assert.equal(list.json().items.find((x: { id: string }) => x.id === g.id).state, 'withdrawn');
      assert.ok(
        list
          .json()
          .items.every((x: { certificates: { identifier: string }[] }) =>
            x.certificates.every((c) => c.identifier === aCert),
          ),
        'only the holder’s own grants',
      );

      const short = (
        await grant(aToken, {
          clientId: party.clientId,
          identifiers: [aCert],
          fields: ['name'],
          purpose: '资格核验',
          expiresAt: new Date(t.clock.now().getTime() + 2 * 60_000).toISOString(),
        })
      ).json();
      t.clock.advance(3 * 60_000);
      const late = await read(party, aCert, { grant: short.id });
      assert.equal(late.statusCode, 403);
      assert.equal(late.json().code, 'SHARE_GRANT_EXPIRED');
    });

    test('a 用证码 reads one certificate once, its fields only', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/certificates/${aCert}/share-codes`,
        headers: bearer(aToken),
        payload: { fields: ['name', 'gender'], purpose: '入职核验', ttlMinutes: 10 },
      });
      assert.equal(created.statusCode, 201, created.body);
      const { code, expiresAt } = created.json();
      assert.match(code, /^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{10}$/);
      assert.equal(new Date(expiresAt).getTime() - t.clock.now().getTime(), 10 * 60_000);
      const [stored] = await t.db.store.db.select().from(shareCodes).where(eq(shareCodes.identifier, aCert));
      assert.ok(!JSON.stringify(stored).includes(code), 'only a hash of the code is stored');

      // Against another certificate: the same 404 as an unknown one, and the code is not spent.
      const elsewhere = await read(party, aSecond, { code });
      assert.equal(elsewhere.statusCode, 404);
      assert.equal(elsewhere.json().code, 'NOT_FOUND');

      const first = await read(other, aCert, { code: `${code.slice(0, 5).toLowerCase()}-${code.slice(5)}` });
      assert.equal(first.statusCode, 200, first.body);
      assert.deepEqual(Object.keys(first.json().fields).sort(), ['gender', 'name']);
      assert.equal(first.json().access.basis, 'code');
      const second = await read(party, aCert, { code });
      assert.equal(second.statusCode, 403);
      assert.equal(second.json().code, 'SHARE_CODE_USED');
      const [spent] = await t.db.store.db.select().from(shareCodes).where(eq(shareCodes.id, stored!.id));
      assert.equal(spent!.usedBy, other.clientId);

      const wrong = await read(party, aCert, { code: 'ABCDEFGHJK' });
      assert.equal(wrong.json().code, 'SHARE_CODE_INVALID');

      const stale = (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/wallet/certificates/${aCert}/share-codes`,
          headers: bearer(aToken),
          payload: { ttlMinutes: 1 },
        })
      ).json();
      assert.ok(stale.fields.length > 5, 'without fields a code covers the whole certificate');
      t.clock.advance(2 * 60_000);
      const expired = await read(party, aCert, { code: stale.code });
      assert.equal(expired.json().code, 'SHARE_CODE_EXPIRED');

      const tooLong = await t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/certificates/${aCert}/share-codes`,
        headers: bearer(aToken),
        payload: { ttlMinutes: 31 },
      });
      assert.equal(tooLong.statusCode, 400);
      const foreign = await t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/certificates/${bCert}/share-codes`,
        headers: bearer(aToken),
        payload: {},
      });
      assert.equal(foreign.statusCode, 404);
    });

    test('signatures: tampered, replayed, made for another certificate, or by a source system are refused', async () => {
      const g = (
        await grant(aToken, {
          clientId: party.clientId,
          identifiers: [aCert, aSecond],
          fields: ['name', 'certificateNumber'],
          purpose: '资格核验',
          expiresAt: inAMonth(),
        })
      ).json();
      const url = `/api/v1/share/certificates/${aCert}`;
      const headers = { ...signedHeaders(party, url), 'x-grant-id': g.id };
      const ok = await t.app.inject({ url, headers });
      assert.equal(ok.statusCode, 200, ok.body);
      const replay = await t.app.inject({ url, headers });
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().code, 'CLIENT_REQUEST_REPLAYED');

      // A fresh signature for aCert's URL, used to ask for another certificate.
      const fresh = { ...signedHeaders(party, url), 'x-grant-id': g.id };
      const moved = await t.app.inject({ url: `/api/v1/share/certificates/${aSecond}`, headers: fresh });
      assert.equal(moved.statusCode, 401);
      assert.equal(moved.json().code, 'CLIENT_SIGNATURE_INVALID');

      const tampered = { ...signedHeaders(party, url), 'x-grant-id': g.id };
      tampered['x-signature'] =
        (tampered['x-signature'][0] === 'a' ? 'b' : 'a') + tampered['x-signature'].slice(1);
      const bad = await t.app.inject({ url, headers: tampered });
      assert.equal(bad.statusCode, 401);
      assert.equal(bad.json().code, 'CLIENT_SIGNATURE_INVALID');

      const bySource = await read({ clientId: source.clientId, secret: source.secret }, aCert, {
        grant: g.id,
      });
      assert.equal(bySource.statusCode, 401);

      const none = await read(party, aCert, {});
      assert.equal(none.statusCode, 400);
      assert.equal(none.json().code, 'SHARE_CREDENTIAL_REQUIRED');
      const inQuery = await t.app.inject({
        url: `${url}?code=ABCDEFGHJK`,
        headers: signedHeaders(party, `${url}?code=ABCDEFGHJK`),
      });
      assert.equal(inQuery.statusCode, 400);
      const audits = await t.db.store.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.action, 'intake.auth_failed'));
      assert.ok(audits.length >= 3, 'signature refusals are audited');
    });

    test('a new version of a granted licence is read as its current version', async () => {
      const g = (
        await grant(aToken, {
          clientId: party.clientId,
          identifiers: [aCert],
          fields: ['name'],
          purpose: '资格核验',
          expiresAt: inAMonth(),
        })
      ).json();
      const changed = (
        await push(t, source, [intakeRecord(PRACTITIONER, 'S-A', 2, 'change', {}, 501)])
      ).json();
      assert.equal(changed.results[0].status, 'updated', JSON.stringify(changed));
      const v2 = changed.results[0].identifier as string;
      const r = await read(party, aCert, { grant: g.id });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().identifier, v2);
      assert.equal(r.json().version, 2);
      aCert = v2;
    });

    test('duty grants (依职能) need a legal basis and stay inside the granting region', async () => {
      const body = {
        clientId: other.clientId,
        regionCode: '210102',
        kinds: [PRACTITIONER],
        fields: ['name', 'certificateNumber'],
        purpose: '道路运输执法协查',
        legalBasis: '《中华人民共和国道路运输条例》第六十一条',
        expiresAt: inAMonth(),
      };
      const post = (payload: Record<string, unknown>, token = issuer.token) =>
        t.app.inject({ method: 'POST', url: '/api/v1/share/duty-grants', headers: bearer(token), payload });
      const noBasis = await post({ ...body, legalBasis: undefined });
      assert.equal(noBasis.statusCode, 400);
      assert.match(noBasis.body, /legalBasis/);
      const blankBasis = await post({ ...body, legalBasis: '      ' });
      assert.equal(blankBasis.statusCode, 400);
      assert.match(blankBasis.json().detail, /法律依据/);
      const outside = await post({ ...body, regionCode: '210202' });
      assert.equal(outside.statusCode, 403);
      assert.equal(outside.json().code, 'REGION_OUTSIDE_SCOPE');
      const officer = await t.staff('dutyofficer', 'enforcement-officer', '210102');
      assert.equal((await post(body, officer.token)).statusCode, 403);

      const created = await post(body);
      assert.equal(created.statusCode, 201, created.body);
      const g = created.json();
      assert.equal(g.basis, 'duty');
      assert.equal(g.legalBasis, body.legalBasis);
      assert.deepEqual(
        g.kinds.map((k: { code: string }) => k.code),
        [PRACTITIONER],
      );

      const r = await read(other, aCert, { grant: g.id });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().access.basis, 'duty');
      assert.deepEqual(Object.keys(r.json().fields).sort(), ['certificateNumber', 'name']);
      // B's certificate lies in 210202, A's second certificate is another kind: outside the grant.
      assert.equal((await read(other, bCert, { grant: g.id })).statusCode, 404);
      assert.equal((await read(other, aSecond, { grant: g.id })).statusCode, 404);

      const list = await t.app.inject({ url: '/api/v1/share/duty-grants', headers: bearer(issuer.token) });
      assert.ok(list.json().items.some((x: { id: string }) => x.id === g.id));
      const dalian = await t.staff('dalian', 'issuing-officer', '210200');
      const dalianList = await t.app.inject({
        url: '/api/v1/share/duty-grants',
        headers: bearer(dalian.token),
      });
      assert.ok(!dalianList.json().items.some((x: { id: string }) => x.id === g.id));
      const dalianWithdraw = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/share/duty-grants/${g.id}`,
        headers: bearer(dalian.token),
      });
      assert.equal(dalianWithdraw.statusCode, 404);

      const withdrawn = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/share/duty-grants/${g.id}`,
        headers: bearer(issuer.token),
      });
      assert.equal(withdrawn.statusCode, 200);
      assert.equal((await read(other, aCert, { grant: g.id })).json().code, 'SHARE_GRANT_WITHDRAWN');

      const [audit] = await t.db.store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'share.duty_grant'), eq(auditLog.targetId, g.id)));
      assert.equal((audit!.details as { legalBasis: string }).legalBasis, body.legalBasis);
      const withdrawAudit = await t.db.store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'share.duty_grant_withdraw'), eq(auditLog.targetId, g.id)));
      assert.equal(withdrawAudit.length, 1);
    });

    test('a relying party probing identifiers is stopped after 20 refusals', async () => {
      const prober = await relying('试探方');
      const g = (
        await grant(aToken, {
          clientId: prober.clientId,
          identifiers: [aCert],
          fields: ['name'],
          purpose: '资格核验',
          expiresAt: inAMonth(),
        })
      ).json();
      for (let i = 0; i < 20; i++) {
        const r = await read(prober, `${aCert.slice(0, -8)}${String(10_000_000 + i)}`, { grant: g.id });
        assert.equal(r.statusCode, 404);
      }
      const blocked = await read(prober, aCert, { grant: g.id });
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.json().code, 'SHARE_REFUSALS_EXCEEDED');
      // Others are not affected.
      assert.notEqual((await read(party, aCert, { code: 'ZZZZZZZZZZ' })).statusCode, 429);
      t.clock.advance(61 * 60_000);
      const later = await read(prober, aCert, { grant: g.id });
      assert.equal(later.statusCode, 200, later.body);
    });
  });
}
