import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { SESSION_CACHE_MS } from '../../src/services/auth/session.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

for (const engine of await engines()) {
  describe(`staff session cache [${engine}]`, () => {
    let t: TestApp;
    let manager: { token: string };

    before(async () => {
      t = await createTestApp(engine);
      manager = await t.staff('sessmgr', 'enforcement-officer', '210100');
    });
    after(() => t.close());

    const me = async (token: string) =>
      (await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode;

    test('a session ended on another node stops working here within SESSION_CACHE_MS', async () => {
      assert.ok(SESSION_CACHE_MS <= 5_000, 'the documented bound');
      const token = await t.login('sessmgr');
      assert.equal(await me(token), 200);
      // Another API node's logout: the row changes, this node's memory does not know.
      await t.db.store.query(sql`update staff_sessions set revoked_at = now() where revoked_at is null`);
      await sleep(SESSION_CACHE_MS + 200);
      assert.equal(await me(token), 401);
      assert.equal(await me(manager.token), 401, 'the earlier session was ended too');
    });

    test('a logout on this node ends the session at once, even while cached', async () => {
      const token = await t.login('sessmgr');
      assert.equal(await me(token), 200);
      assert.equal(await me(token), 200);
      const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) });
      assert.equal(out.statusCode, 204);
      assert.equal(await me(token), 401);
    });
  });
}
