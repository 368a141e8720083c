import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { signRequest } from '../../src/services/clients/authenticate-client.ts';
import { createClient } from '../../src/services/clients/create-client.ts';
import { createStaff } from '../../src/services/staff/create-staff.ts';
import { recordUsage } from '../../src/services/verification/usage-events.ts';
import { bearer, createTestApp, PASSWORD, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { intakeRecord, push, registerClient } from '../helpers/intake.ts';

const PRACTITIONER = '11100000000019713D071';
const RIDE_HAILING = '11100000000019713D072';

type Holder = { idType: string; id: string; phone: string };
type UsageItem = {
  id: string;
  at: string;
  event: string;
  identifier: string;
  kind: { code: string; name: string };
  verification: Record<string, unknown> | null;
  share: {
    relyingParty: string;
    basis: string;
    purpose: string | null;
    fields: { key: string; label: string }[];
  } | null;
};

for (const engine of await engines()) {
  describe(`the holder's usage log and activation [${engine}]`, () => {
    let t: TestApp;
    let aCert: string; // shown, verified (not recognized), shared, downloaded
    let aSecond: string; // only shared by a 用证码
    let bCert: string; // another holder's, verified
    let cNever: string; // never used
    let aToken: string;
    let bToken: string;
    let officerToken: string;
    let adminToken: string;
    let party: { clientId: string; secret: string };

    const signIn = async (h: Holder) => {
      const sent = await t.app.inject({ method: 'POST', url: '/api/v1/wallet/otp', payload: h });
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/wallet/login',
        payload: { ...h, code: sent.json().demoCode },
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().token as string;
    };
    const holderOf = (rec: { holder: { idType: string; id: string; phone?: string } }): Holder => ({
      idType: rec.holder.idType,
      id: rec.holder.id,
      phone: rec.holder.phone!,
    });
    const usage = async (token: string, query = '') => {
      const res = await t.app.inject({ url: `/api/v1/wallet/usage${query}`, headers: bearer(token) });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { items: UsageItem[]; nextCursor: string | null };
    };
    const verifyShown = async (holderToken: string, identifier: string, place?: string) => {
      const shown = await t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/certificates/${identifier}/show`,
        headers: bearer(holderToken),
      });
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/verify',
        headers: bearer(officerToken),
        payload: { code: shown.json().token, ...(place ? { place } : {}) },
      });
      assert.equal(res.json().result, 'valid', res.body);
      return res.json().verificationId as string;
    };
    const sharedRead = async (identifier: string, cred: Record<string, string>) => {
      const url = `/api/v1/share/certificates/${identifier}`;
      const ts = t.clock.now().toISOString();
      const res = await t.app.inject({
        url,
        headers: {
          'x-client-id': party.clientId,
          'x-timestamp': ts,
          'x-signature': signRequest(party.secret, ts, '', `GET ${url}`),
          ...cred,
        },
      });
      assert.equal(res.statusCode, 200, res.body);
    };

    before(async () => {
      t = await createTestApp(engine);
      adminToken = (await t.staff('admin', 'province-admin', '210000')).token;
      await createStaff(t.ctx, t.cliActor, {
        username: 'wangzf',
        password: PASSWORD,
        role: 'enforcement-officer',
        regionCode: '210100',
        displayName: '王执法',
        department: '沈阳市交通运输综合行政执法队',
        phone: '13912345678',
      });
      officerToken = await t.login('wangzf');
      const source = await registerClient(t);
      const c = await createClient(t.ctx, t.cliActor, {
        name: '某人力资源平台',
        regionCode: '210000',
        kind: 'relying',
      });
      party = { clientId: c.clientId, secret: c.secret };
      const recA = intakeRecord(PRACTITIONER, 'U-A', 1, 'issue', {}, 601);
      const recA2 = intakeRecord(RIDE_HAILING, 'U-A2', 1, 'issue', {}, 601);
      const recB = intakeRecord(PRACTITIONER, 'U-B', 1, 'issue', {}, 602);
      const recC = intakeRecord(PRACTITIONER, 'U-C', 1, 'issue', {}, 603);
      const results = (await push(t, source, [recA, recA2, recB, recC])).json().results;
      assert.ok(
        results.every((r: { status: string }) => r.status === 'issued'),
        JSON.stringify(results),
      );
      [aCert, aSecond, bCert, cNever] = results.map((r: { identifier: string }) => r.identifier);
      aToken = await signIn(holderOf(recA));
      bToken = await signIn(holderOf(recB));

      // A's certificate: shown and verified at a checkpoint, then not recognized.
      t.clock.advance(1000);
      const verificationId = await verifyShown(aToken, aCert, '沈阳市和平区南京街检查点');
      t.clock.advance(1000);
      const outcome = await t.app.inject({
        method: 'POST',
        url: `/api/v1/verify/${verificationId}/outcome`,
        headers: bearer(officerToken),
        payload: { recognized: false, reason: '现场网络不通，无法确认' },
      });
      assert.equal(outcome.statusCode, 200, outcome.body);
      // Read by a relying party under the holder's grant.
      t.clock.advance(1000);
      const grant = await t.app.inject({
        method: 'POST',
        url: '/api/v1/wallet/grants',
        headers: bearer(aToken),
        payload: {
          clientId: party.clientId,
          identifiers: [aCert],
          fields: ['name', 'qualificationCategories'],
          purpose: '求职资格核验',
          expiresAt: new Date(t.clock.now().getTime() + 86_400_000).toISOString(),
        },
      });
      assert.equal(grant.statusCode, 201, grant.body);
      await sharedRead(aCert, { 'x-grant-id': grant.json().id });
      // Downloaded (the wallet's download route records this event the same way).
      t.clock.advance(1000);
      const [row] = await t.db.store.query<{ region_code: string; kind_code: string }>(
        sql`select region_code, kind_code from certificates where identifier = ${aCert}`,
      );
      await t.db.store.db.transaction((tx) =>
        recordUsage(tx, {
          identifier: aCert,
          regionCode: row!.region_code,
          kindCode: row!.kind_code,
          event: 'download',
          at: t.clock.now(),
        }),
      );
      // A's second certificate: only read once through a 用证码.
      t.clock.advance(1000);
      const code = await t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/certificates/${aSecond}/share-codes`,
        headers: bearer(aToken),
        payload: { fields: ['name'] },
      });
      await sharedRead(aSecond, { 'x-share-code': code.json().code });
      // B's certificate: verified; must never show in A's log.
      t.clock.advance(1000);
      await verifyShown(bToken, bCert);
    });
    after(() => t.close());

    test('every show, verification, share read and download of the holder’s certificates, newest first', async () => {
      const { items, nextCursor } = await usage(aToken);
      assert.equal(nextCursor, null);
      assert.deepEqual(
        items.map((i) => [i.event, i.identifier]),
        [
          ['share', aSecond],
          ['download', aCert],
          ['share', aCert],
          ['verify', aCert],
          ['show', aCert],
        ],
      );
      const times = items.map((i) => Date.parse(i.at));
      assert.deepEqual(
        times,
        [...times].sort((x, y) => y - x),
      );

      const verify = items.find((i) => i.event === 'verify')!;
      assert.deepEqual(verify.verification, {
        codeType: 'token',
        officerRole: '执法人员',
        agency: '沈阳市交通运输综合行政执法队',
        place: '沈阳市和平区南京街检查点',
        result: 'valid',
        recognized: false,
        outcomeReason: '现场网络不通，无法确认',
      });
      assert.equal(verify.share, null);
      const share = items.find((i) => i.event === 'share' && i.identifier === aCert)!;
      assert.deepEqual(share.share, {
        relyingParty: '某人力资源平台',
        basis: 'consent',
        purpose: '求职资格核验',
        fields: [
          { key: 'name', label: '姓名' },
          { key: 'qualificationCategories', label: '从业资格类别' },
        ],
      });
      assert.equal(items.find((i) => i.identifier === aSecond)!.share!.basis, 'code');
      assert.equal(items.find((i) => i.event === 'show')!.kind.name, '道路运输从业人员从业资格证');
      // The officer appears by role and agency only.
      const text = JSON.stringify(items);
      for (const personal of ['王执法', 'wangzf', '13912345678', '139****5678']) {
        assert.ok(!text.includes(personal), personal);
      }
    });

    test('pages with a cursor, narrows to one licence, shows nobody else’s uses', async () => {
      const first = await usage(aToken, '?limit=2');
      assert.equal(first.items.length, 2);
      assert.ok(first.nextCursor);
      const second = await usage(aToken, `?limit=2&cursor=${first.nextCursor}`);
      const third = await usage(aToken, `?limit=2&cursor=${second.nextCursor}`);
      assert.equal(third.nextCursor, null);
      const all = [...first.items, ...second.items, ...third.items].map((i) => i.id);
      assert.equal(all.length, 5);
      assert.equal(new Set(all).size, 5);
      assert.deepEqual(
        all,
        (await usage(aToken)).items.map((i) => i.id),
      );

      const one = await usage(aToken, `?identifier=${aSecond}`);
      assert.deepEqual(
        one.items.map((i) => i.event),
        ['share'],
      );
      const foreign = await t.app.inject({
        url: `/api/v1/wallet/usage?identifier=${bCert}`,
        headers: bearer(aToken),
      });
      assert.equal(foreign.statusCode, 404);
      const b = await usage(bToken);
      assert.deepEqual(
        b.items.map((i) => [i.event, i.identifier]),
        [
          ['verify', bCert],
          ['show', bCert],
        ],
      );
      const badCursor = await t.app.inject({
        url: '/api/v1/wallet/usage?cursor=nonsense',
        headers: bearer(aToken),
      });
      assert.equal(badCursor.statusCode, 400);
      const anonymous = await t.app.inject({ url: '/api/v1/wallet/usage' });
      assert.equal(anonymous.statusCode, 401);
    });

    test('activation counts the first use of any kind: a share or a download activates', async () => {
      const res = await t.app.inject({
        url: '/api/v1/stats/activation?year=2026&regionCode=210102',
        headers: bearer(adminToken),
      });
      assert.equal(res.statusCode, 200, res.body);
      const rows = res.json().rows as {
        kind: string;
        issued: number;
        activated: number;
        notRecognized: number;
      }[];
      const practitioner = rows.find((r) => r.kind === PRACTITIONER)!;
      // aCert (used), bCert (used), cNever (never used).
      assert.equal(practitioner.issued, 3);
      assert.equal(practitioner.activated, 2);
      // aSecond was only ever read through a 用证码: a share alone activates it.
      const rideHailing = rows.find((r) => r.kind === RIDE_HAILING)!;
      assert.deepEqual([rideHailing.issued, rideHailing.activated], [1, 1]);
      assert.ok(cNever);

      // A certificate whose only use is a download is activated too.
      const [row] = await t.db.store.query<{ region_code: string; kind_code: string }>(
        sql`select region_code, kind_code from certificates where identifier = ${cNever}`,
      );
      await t.db.store.db.transaction((tx) =>
        recordUsage(tx, {
          identifier: cNever,
          regionCode: row!.region_code,
          kindCode: row!.kind_code,
          event: 'download',
          at: t.clock.now(),
        }),
      );
      const again = await t.app.inject({
        url: '/api/v1/stats/activation?year=2026&regionCode=210102',
        headers: bearer(adminToken),
      });
      const after = (again.json().rows as { kind: string; activated: number }[]).find(
        (r) => r.kind === PRACTITIONER,
      )!;
      assert.equal(after.activated, 3);
    });
  });
}
