import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { buildServer } from '../../src/http/app.ts';
import { processOutbox } from '../../src/services/delivery/process-outbox.ts';
import type { SmsSender } from '../../src/services/wallet/sms-sender.ts';
import { deliveries, holderOtps, holderSessions } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { intakeRecord, push, registerClient } from '../helpers/intake.ts';

const PRACTITIONER = '11100000000019713D071'; // 从业资格证: a person (居民身份证)
const BUSINESS = '11100000000019713D008'; // 经营许可证: an organisation (USCC)

type Holder = { idType: string; id: string; phone: string };
const MINUTE = 60_000;

for (const engine of await engines()) {
  describe(`wallet (运证通) [${engine}]`, () => {
    let t: TestApp;
    let admin: { token: string };
    // A: a person with two versions of one certificate; B: an organisation.
    let a: Holder;
    let b: Holder;
    let aV1: string;
    let aV2: string;
    let bCert: string;
    let aToken: string;

    const otp = (h: Holder) => t.app.inject({ method: 'POST', url: '/api/v1/wallet/otp', payload: h });
    const login = (h: Holder, code: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/wallet/login', payload: { ...h, code } });
    const get = (url: string, token: string) => t.app.inject({ url, headers: bearer(token) });
    const auditCount = async (action: string) =>
      Number(
        (
          await t.db.store.query<{ n: number }>(
            sql`select count(*)::int as n from audit_log where action = ${action}`,
          )
        )[0]!.n,
      );
    /** Gets a code in demo mode and signs in with it. */
    const signIn = async (h: Holder) => {
      const sent = await otp(h);
      assert.equal(sent.statusCode, 200, sent.body);
      const res = await login(h, sent.json().demoCode);
      assert.equal(res.statusCode, 200, res.body);
      return res.json().token as string;
    };

    before(async () => {
      t = await createTestApp(engine);
      admin = await t.staff('admin', 'province-admin', '210000');
      const client = await registerClient(t);
      const recA = intakeRecord(PRACTITIONER, 'W-A', 1, 'issue', {}, 301);
      const recB = intakeRecord(BUSINESS, 'W-B', 1, 'issue', {}, 302);
      const first = (await push(t, client, [recA, recB])).json().results;
      aV1 = first[0].identifier;
      bCert = first[1].identifier;
      t.clock.advance(MINUTE);
      const changed = (
        await push(t, client, [intakeRecord(PRACTITIONER, 'W-A', 2, 'change', {}, 301)])
      ).json();
      assert.equal(changed.results[0].status, 'updated', JSON.stringify(changed));
      aV2 = changed.results[0].identifier;
      a = { idType: recA.holder.idType, id: recA.holder.id, phone: recA.holder.phone! };
      b = { idType: recB.holder.idType, id: recB.holder.id, phone: recB.holder.phone! };
      assert.equal(await processOutbox(t.db.store.db, t.clock.now()), 3);
    });
    after(() => t.close());

    test('a code goes only to a matching id and phone, but the answer is the same', async () => {
      const right = await otp(a);
      const wrong = await otp({ ...a, phone: '13912345678' });
      const nobody = await otp({ idType: '111', id: '210102199001010000', phone: a.phone });
      assert.equal(right.statusCode, 200, right.body);
      const { demoCode, ...rightBody } = right.json();
      assert.match(demoCode, /^\d{6}$/);
      for (const other of [wrong, nobody]) {
        assert.equal(other.statusCode, 200);
        assert.deepEqual(other.json(), rightBody, 'no demoCode and nothing else that tells them apart');
      }
      // One code row, stored as a hash only; the refused pairs got rows without a code.
      const rows = await t.db.store.db.select().from(holderOtps);
      assert.equal(rows.length, 3);
      const coded = rows.filter((r) => r.codeHash !== null);
      assert.equal(coded.length, 1);
      assert.notEqual(coded[0]!.codeHash, demoCode);
      assert.ok(!JSON.stringify(rows).includes(demoCode));
      assert.equal(await auditCount('holder.otp_sent'), 1);
      assert.equal(await auditCount('holder.otp_not_sent'), 2);

      // Asking again within 60 s is refused in Chinese, for a real pair and an unknown one alike.
      for (const h of [a, { ...a, phone: '13912345678' }]) {
        const again = await otp(h);
        assert.equal(again.statusCode, 429);
        assert.equal(again.json().code, 'OTP_RATE_LIMITED');
        assert.match(again.json().detail, /秒后再试/);
      }

      const signedIn = await login(a, demoCode);
      assert.equal(signedIn.statusCode, 200, signedIn.body);
      aToken = signedIn.json().token;
      assert.ok(
        new Date(signedIn.json().expiresAt).getTime() - t.clock.now().getTime() === 7 * 24 * 3_600_000,
      );
      const [session] = await t.db.store.db.select().from(holderSessions);
      assert.notEqual(session!.tokenHash, aToken, 'the token is stored hashed');
      assert.equal(await auditCount('holder.login'), 1);

      // A used code cannot be used again.
      const replay = await login(a, demoCode);
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().code, 'OTP_INVALID');
    });

    test('the holder sees a masked identity, the inbox newest first, and can mark a message read', async () => {
      const me = await get('/api/v1/wallet/me', aToken);
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(me.json().holderType, 'person');
      assert.equal(me.json().id, `${a.id.slice(0, 6)}********${a.id.slice(-4)}`);
      assert.equal(me.json().phone, `${a.phone.slice(0, 3)}****${a.phone.slice(-4)}`);
      assert.match(me.json().name, /^.\*+$/);

      const inbox = await get('/api/v1/wallet/inbox', aToken);
      assert.equal(inbox.statusCode, 200, inbox.body);
      const { items, unread } = inbox.json();
      assert.deepEqual(
        items.map((m: { identifier: string }) => m.identifier),
        [aV2, aV1],
      );
      assert.equal(unread, 2);
      assert.equal(items[0].kind, 'change');
      assert.match(items[0].title, /从业资格证/);
      assert.equal(items[0].read, false);

      const read = await t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/inbox/${items[0].id}/read`,
        headers: bearer(aToken),
      });
      assert.equal(read.statusCode, 200, read.body);
      const [row] = await t.db.store.db.select().from(deliveries).where(eq(deliveries.id, items[0].id));
      assert.ok(row!.readAt);
      const after = (await get('/api/v1/wallet/inbox', aToken)).json();
      assert.equal(after.unread, 1);
      assert.equal(after.items[0].read, true);

      // B's message is not A's to mark: not found, and it stays unread.
      const [bMessage] = await t.db.store.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.identifier, bCert));
      const foreign = await t.app.inject({
        method: 'POST',
        url: `/api/v1/wallet/inbox/${bMessage!.id}/read`,
        headers: bearer(aToken),
      });
      assert.equal(foreign.statusCode, 404);
      const [bRow] = await t.db.store.db.select().from(deliveries).where(eq(deliveries.id, bMessage!.id));
      assert.equal(bRow!.readAt, null);
    });

    test('the holder lists own current certificates with badges and opens one with its history', async () => {
      const list = await get('/api/v1/wallet/certificates', aToken);
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(
        list
          .json()
          .items.map((c: { identifier: string; statusName: string }) => [c.identifier, c.statusName]),
        [[aV2, '有效']],
      );

      const detail = await get(`/api/v1/wallet/certificates/${aV2}`, aToken);
      assert.equal(detail.statusCode, 200, detail.body);
      const c = detail.json();
      assert.equal(c.holder.id, a.id);
      assert.ok(Object.keys(c.face).length > 0);
      assert.equal(JSON.parse(Buffer.from(c.signedData, 'base64').toString('utf8')).identifier, aV2);
      assert.deepEqual(
        c.versions.map((v: { identifier: string; statusName: string }) => [v.identifier, v.statusName]),
        [
          [aV1, '无效（已换发）'],
          [aV2, '有效'],
        ],
      );
      // The superseded version is the holder's too.
      assert.equal((await get(`/api/v1/wallet/certificates/${aV1}`, aToken)).statusCode, 200);
      const reads = await t.db.store.query(
        sql`select 1 from audit_log where action = 'holder.read' and target_id = ${aV2}`,
      );
      assert.equal(reads.length, 1);
    });

    test("another holder's certificate answers exactly like one that does not exist", async () => {
      const foreign = await get(`/api/v1/wallet/certificates/${bCert}`, aToken);
      const missing = await get(
        `/api/v1/wallet/certificates/${bCert.replace(/\d$/, (d) => String((+d + 1) % 10))}`,
        aToken,
      );
      assert.equal(foreign.statusCode, 404);
      assert.equal(missing.statusCode, 404);
      const strip = (p: Record<string, unknown>) => ({ ...p, instance: undefined, requestId: undefined });
      assert.deepEqual(strip(foreign.json()), strip(missing.json()));
      const reads = await t.db.store.query(
        sql`select 1 from audit_log where target_id = ${bCert} and action = 'holder.read'`,
      );
      assert.equal(reads.length, 0);
    });

    test('staff and holder tokens are not interchangeable', async () => {
      const staffAsHolder = await get('/api/v1/wallet/me', admin.token);
      assert.equal(staffAsHolder.statusCode, 401);
      const holderAsStaff = await get('/api/v1/certificates', aToken);
      assert.equal(holderAsStaff.statusCode, 401);
      assert.equal((await get(`/api/v1/certificates/${aV2}`, aToken)).statusCode, 401);
      assert.equal((await t.app.inject({ url: '/api/v1/wallet/me' })).statusCode, 401);
    });

    test('an idle session ends after 30 minutes', async () => {
      const token = await (async () => {
        t.clock.advance(2 * MINUTE);
        return signIn(b);
      })();
      assert.equal((await get('/api/v1/wallet/me', token)).json().holderType, 'organisation');
      t.clock.advance(31 * MINUTE);
      const stale = await get('/api/v1/wallet/me', token);
      assert.equal(stale.statusCode, 401);
      assert.match(stale.json().detail, /重新获取验证码登录/);
    });

    test('an expired code is refused', async () => {
      const sent = await otp(a);
      assert.equal(sent.statusCode, 200, sent.body);
      t.clock.advance(5 * MINUTE + 1000);
      const late = await login(a, sent.json().demoCode);
      assert.equal(late.statusCode, 401);
      assert.equal(late.json().code, 'OTP_INVALID');
      // A fresh code still works, and success clears the failure count for the next test.
      t.clock.advance(MINUTE);
      await signIn(a);
    });

    test('five wrong codes lock code sign-in for 15 minutes, even with the right code', async () => {
      t.clock.advance(2 * MINUTE);
      const sent = await otp(a);
      const code: string = sent.json().demoCode;
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 1; i <= 4; i++) {
        const res = await login(a, wrong);
        assert.equal(res.statusCode, 401, `attempt ${i}`);
      }
      const fifth = await login(a, wrong);
      assert.equal(fifth.statusCode, 423);
      assert.equal(fifth.json().code, 'OTP_LOCKED');
      assert.match(fifth.json().detail, /锁定至/);
      assert.equal((await login(a, code)).statusCode, 423);
      assert.equal(await auditCount('holder.locked'), 1);
      // The code under attack was voided, so no live code is left for the holder.
      const live = await t.db.store.db
        .select()
        .from(holderOtps)
        .where(and(isNotNull(holderOtps.codeHash), sql`${holderOtps.consumedAt} is null`));
      assert.equal(live.length, 0);

      t.clock.advance(15 * MINUTE + 1000);
      assert.equal((await login(a, code)).statusCode, 401, 'the voided code stays dead');
      const token = await signIn(a);
      assert.equal((await get('/api/v1/wallet/me', token)).statusCode, 200);
    });

    test('a pair that matches no holder locks the same way (the lockout reveals nothing)', async () => {
      const stranger = { idType: '111', id: '210102199001010000', phone: '13700000000' };
      for (let i = 1; i <= 4; i++) assert.equal((await login(stranger, '123456')).statusCode, 401);
      assert.equal((await login(stranger, '123456')).statusCode, 423);
    });

    test('production sends through the SMS sender only, and the answers stay identical', async () => {
      const sent: { phone: string; code: string }[] = [];
      const sender: SmsSender = {
        async sendSignInCode(m) {
          sent.push(m);
        },
      };
      const deps = {
        config: { ...t.config, mode: 'production' as const },
        store: t.db.store,
        vault: t.vault,
        clock: t.clock,
        keyring: t.keyring,
      };
      const withSms = await buildServer({ ...deps, smsSender: sender });
      const withoutSms = await buildServer(deps);
      try {
        t.clock.advance(2 * MINUTE);
        const right = await withSms.inject({ method: 'POST', url: '/api/v1/wallet/otp', payload: b });
        const wrong = await withSms.inject({
          method: 'POST',
          url: '/api/v1/wallet/otp',
          payload: { ...b, phone: '13611112222' },
        });
        assert.equal(right.statusCode, 200, right.body);
        assert.deepEqual(right.json(), wrong.json());
        assert.equal(right.json().demoCode, undefined);
        assert.equal(sent.length, 1);
        assert.equal(sent[0]!.phone, b.phone);
        const signedIn = await withSms.inject({
          method: 'POST',
          url: '/api/v1/wallet/login',
          payload: { ...b, code: sent[0]!.code },
        });
        assert.equal(signedIn.statusCode, 200, signedIn.body);

        t.clock.advance(2 * MINUTE);
        const before = (await t.db.store.db.select().from(holderOtps)).length;
        const refused = await withoutSms.inject({ method: 'POST', url: '/api/v1/wallet/otp', payload: b });
        assert.equal(refused.statusCode, 503);
        assert.equal(refused.json().code, 'SMS_UNAVAILABLE');
        assert.match(refused.json().detail, /短信服务未配置/);
        assert.equal((await t.db.store.db.select().from(holderOtps)).length, before, 'nothing written');
      } finally {
        await withSms.close();
        await withoutSms.close();
      }
    });

    test('the audit chain still verifies with the holder records in it', async () => {
      // The clock has moved past the staff session's idle limit: sign in again.
      const token = await t.login('admin');
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: bearer(token) });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().ok, true, res.body);
    });
  });
}
