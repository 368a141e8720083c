import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { staffSessions, staffUsers } from '../../src/store/schema.ts';
import { bearer, createTestApp, PASSWORD, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

for (const engine of await engines()) {
  describe(`staff accounts and sign-in [${engine}]`, () => {
    let t: TestApp;
    let admin: { id: string; token: string };
    let syManager: { id: string; token: string };
    let dlManager: { id: string; token: string };
    let syOfficer: { id: string; token: string };

    before(async () => {
      t = await createTestApp(engine);
      admin = await t.staff('admin1', 'province-admin', '210000');
      syManager = await t.staff('symgr', 'ecert-manager', '210100');
      dlManager = await t.staff('dlmgr', 'ecert-manager', '210200');
      syOfficer = await t.staff('syoff', 'issuing-officer', '210100');
    });
    after(() => t.close());

    test('login gives a bearer token that /me accepts; bad credentials get 401 problem+json', async () => {
      const me = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(admin.token) });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().user.username, 'admin1');
      assert.equal(me.json().user.role, 'province-admin');

      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin1', password: 'nope' },
      });
      assert.equal(bad.statusCode, 401);
      assert.match(bad.headers['content-type'] as string, /application\/problem\+json/);
      assert.equal(bad.json().code, 'INVALID_CREDENTIALS');

      const unknown = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'ghost', password: 'x' },
      });
      assert.equal(unknown.statusCode, 401);
      assert.equal(unknown.json().code, 'INVALID_CREDENTIALS');

      const noToken = await t.app.inject({ url: '/api/v1/auth/me' });
      assert.equal(noToken.statusCode, 401);
      assert.equal(noToken.json().code, 'UNAUTHENTICATED');
    });

    test('malformed login bodies are refused with a named field and nothing is written', async () => {
      const sessionsBefore = await t.db.store.query(sql`select count(*)::int as n from staff_sessions`);
      const missing = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin1' },
      });
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().code, 'VALIDATION_FAILED');
      assert.ok(missing.json().errors.some((e: { field: string }) => e.field === 'password'));

      const wrongType = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 5, password: [] },
      });
      assert.equal(wrongType.statusCode, 400);

      const badJson = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"username":',
      });
      assert.equal(badJson.statusCode, 400);
      assert.equal(badJson.json().code, 'BAD_REQUEST');
      assert.match(badJson.json().detail, /JSON/);

      const big = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ username: 'a', password: 'x'.repeat(3 * 1024 * 1024) }),
      });
      assert.equal(big.statusCode, 413);
      assert.equal(big.json().code, 'PAYLOAD_TOO_LARGE');

      const xml = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/xml' },
        payload: '<a/>',
      });
      assert.equal(xml.statusCode, 415);
      const sessionsAfter = await t.db.store.query(sql`select count(*)::int as n from staff_sessions`);
      assert.deepEqual(sessionsAfter, sessionsBefore);
    });

    test('repeated failures lock the account; the lock ends after its time', async () => {
      await t.staff('locky', 'issuing-officer', '210102');
      for (let i = 0; i < t.config.login.maxFailures - 1; i++) {
        const r = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'locky', password: 'wrong' },
        });
        assert.equal(r.statusCode, 401);
      }
      const locking = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'locky', password: 'wrong' },
      });
      assert.equal(locking.statusCode, 423);
      assert.equal(locking.json().code, 'ACCOUNT_LOCKED');
      const whileLocked = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'locky', password: PASSWORD },
      });
      assert.equal(whileLocked.statusCode, 423, 'even the right password is refused while locked');
      t.clock.advance(t.config.login.lockMinutes * 60_000 + 1000);
      const afterLock = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'locky', password: PASSWORD },
      });
      assert.equal(afterLock.statusCode, 200);
      const audit = await t.db.store.query<{ action: string }>(
        sql`select action from audit_log where target_type = 'staff' and action in ('auth.locked','auth.login_failed')`,
      );
      assert.ok(audit.some((a) => a.action === 'auth.locked'));
    });

    test('sessions expire when idle and end at logout', async () => {
      const token = await t.login('syoff');
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode, 200);
      t.clock.advance((t.config.session.idleMinutes + 1) * 60_000);
      const idle = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) });
      assert.equal(idle.statusCode, 401);

      const token2 = await t.login('syoff');
      const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token2) });
      assert.equal(out.statusCode, 204);
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token2) })).statusCode, 401);
      // Tokens are stored only as hashes.
      const rows = await t.db.store.db.select().from(staffSessions);
      assert.ok(rows.every((r) => r.tokenHash !== token2 && /^[0-9a-f]{64}$/.test(r.tokenHash)));
      // Fresh tokens for the rest of the suite.
      syOfficer.token = await t.login('syoff');
      for (const a of [admin, syManager, dlManager])
        a.token = await t.login(a === admin ? 'admin1' : a === syManager ? 'symgr' : 'dlmgr');
    });

    test('an e-cert manager creates officers in its own city, not elsewhere and not admins', async () => {
      const ok = await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff',
        headers: bearer(syManager.token),
        payload: {
          username: 'hpclerk',
          password: 'Str0ng-Pass!',
          role: 'issuing-officer',
          regionCode: '210102',
          phone: '13812345678',
        },
      });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal(ok.json().regionName, '辽宁省沈阳市和平区');
      assert.equal(ok.json().phone, '138****5678', 'phone is masked');
      const [row] = await t.db.store.db.select().from(staffUsers).where(eq(staffUsers.username, 'hpclerk'));
      assert.ok(row?.phoneEnc && !row.phoneEnc.includes('13812345678'), 'phone is stored encrypted');
      assert.equal(t.vault.open('staff.phone', row!.phoneEnc!), '13812345678');
      assert.equal(row!.phoneIndex, t.vault.index('staff.phone', '13812345678'));

      const elsewhere = await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff',
        headers: bearer(syManager.token),
        payload: {
          username: 'dlclerk',
          password: 'Str0ng-Pass!',
          role: 'issuing-officer',
          regionCode: '210202',
        },
      });
      assert.equal(elsewhere.statusCode, 403);
      assert.equal(elsewhere.json().code, 'REGION_OUTSIDE_SCOPE');

      const adminRole = await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff',
        headers: bearer(syManager.token),
        payload: {
          username: 'sneaky',
          password: 'Str0ng-Pass!',
          role: 'province-admin',
          regionCode: '210000',
        },
      });
      assert.equal(adminRole.statusCode, 403);

      const weak = await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff',
        headers: bearer(syManager.token),
        payload: {
          username: 'weakling',
          password: 'password',
          role: 'issuing-officer',
          regionCode: '210100',
        },
      });
      assert.equal(weak.statusCode, 400);
      assert.equal(weak.json().code, 'PASSWORD_TOO_WEAK');

      const unknownRegion = await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff',
        headers: bearer(admin.token),
        payload: {
          username: 'nowhere',
          password: 'Str0ng-Pass!',
          role: 'issuing-officer',
          regionCode: '219999',
        },
      });
      assert.equal(unknownRegion.statusCode, 400);
      assert.equal(unknownRegion.json().code, 'REGION_UNKNOWN');

      const dup = await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff',
        headers: bearer(admin.token),
        payload: {
          username: 'HPCLERK',
          password: 'Str0ng-Pass!',
          role: 'issuing-officer',
          regionCode: '210102',
        },
      });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().code, 'USERNAME_TAKEN');

      const officerCannot = await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff',
        headers: bearer(syOfficer.token),
        payload: {
          username: 'x1234',
          password: 'Str0ng-Pass!',
          role: 'issuing-officer',
          regionCode: '210100',
        },
      });
      assert.equal(officerCannot.statusCode, 403);
      const names = (await t.db.store.db.select({ u: staffUsers.username }).from(staffUsers)).map((r) => r.u);
      for (const n of ['dlclerk', 'sneaky', 'weakling', 'nowhere', 'x1234'])
        assert.ok(!names.includes(n), `${n} not created`);
    });

    test('大连 cannot see or touch 沈阳 accounts: 404 and nothing changes', async () => {
      const list = await t.app.inject({ url: '/api/v1/staff', headers: bearer(dlManager.token) });
      assert.equal(list.statusCode, 200);
      assert.ok(list.json().items.every((s: { regionCode: string }) => s.regionCode.startsWith('2102')));

      const see = await t.app.inject({
        url: `/api/v1/staff/${syOfficer.id}`,
        headers: bearer(dlManager.token),
      });
      assert.equal(see.statusCode, 404);
      assert.equal(see.json().code, 'NOT_FOUND');

      const [beforeRow] = await t.db.store.db
        .select()
        .from(staffUsers)
        .where(eq(staffUsers.id, syOfficer.id));
      const touch = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/staff/${syOfficer.id}`,
        headers: bearer(dlManager.token),
        payload: { status: 'disabled' },
      });
      assert.equal(touch.statusCode, 404);
      const reset = await t.app.inject({
        method: 'POST',
        url: `/api/v1/staff/${syOfficer.id}/password`,
        headers: bearer(dlManager.token),
        payload: { password: 'An0ther-Pass!' },
      });
      assert.equal(reset.statusCode, 404);
      const [afterRow] = await t.db.store.db.select().from(staffUsers).where(eq(staffUsers.id, syOfficer.id));
      assert.deepEqual(afterRow, beforeRow);

      const narrowed = await t.app.inject({
        url: '/api/v1/staff?regionCode=210100',
        headers: bearer(dlManager.token),
      });
      assert.equal(narrowed.json().total, 0);
    });

    test('disabling an account ends its sessions at once', async () => {
      const token = await t.login('syoff');
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/staff/${syOfficer.id}`,
        headers: bearer(syManager.token),
        payload: { status: 'disabled' },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'disabled');
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode, 401);
      const relogin = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'syoff', password: PASSWORD },
      });
      assert.equal(relogin.statusCode, 403);
      assert.equal(relogin.json().code, 'ACCOUNT_DISABLED');
    });

    test('every change is in the audit trail, scoped by region', async () => {
      const mine = await t.app.inject({
        url: '/api/v1/audit?action=staff.create',
        headers: bearer(admin.token),
      });
      assert.equal(mine.statusCode, 200);
      assert.ok(mine.json().items.length >= 5);
      const officerAudit = await t.app.inject({ url: '/api/v1/audit', headers: bearer(syOfficer.token) });
      assert.equal(officerAudit.statusCode, 401, 'disabled account');
      const dl = await t.app.inject({ url: '/api/v1/audit', headers: bearer(dlManager.token) });
      assert.equal(dl.statusCode, 200);
      assert.ok(dl.json().items.every((r: { regionCode: string }) => r.regionCode.startsWith('2102')));
      const detail = JSON.stringify(mine.json().items);
      assert.ok(!detail.includes('13812345678'), 'no raw phone numbers in audit details');

      const verify = await t.app.inject({
        method: 'POST',
        url: '/api/v1/audit/verify',
        headers: bearer(admin.token),
      });
      assert.equal(verify.statusCode, 200);
      assert.equal(verify.json().ok, true, JSON.stringify(verify.json().problems));
      const cityVerify = await t.app.inject({
        method: 'POST',
        url: '/api/v1/audit/verify',
        headers: bearer(dlManager.token),
      });
      assert.equal(cityVerify.statusCode, 403);
    });
  });
}
