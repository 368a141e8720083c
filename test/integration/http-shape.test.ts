import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

for (const engine of await engines()) {
  describe(`HTTP shape [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    test('health, readiness, OpenAPI, docs and the landing redirect', async () => {
      assert.deepEqual((await t.app.inject({ url: '/healthz' })).json(), { status: 'ok' });
      const ready = await t.app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().database, engine);
      const spec = await t.app.inject({ url: '/openapi.json' });
      assert.equal(spec.statusCode, 200);
      const doc = spec.json();
      assert.equal(doc.openapi, '3.1.0');
      for (const p of [
        '/api/v1/auth/login',
        '/api/v1/trust',
        '/api/v1/staff',
        '/api/v1/catalog',
        '/api/v1/audit',
        '/api/v1/records/validate',
      ]) {
        assert.ok(doc.paths[p], `${p} documented`);
      }
      const docs = await t.app.inject({ url: '/docs/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.headers['content-type'] as string, /text\/html/);
      const root = await t.app.inject({ url: '/' });
      assert.equal(root.statusCode, 302);
      assert.equal(root.headers.location, '/docs');
    });

    test('security headers and request ids', async () => {
      const res = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-12345678' } });
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.ok(res.headers['content-security-policy']);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
      assert.equal(res.headers['x-request-id'], 'abc-12345678');
      const generated = await t.app.inject({
        url: '/healthz',
        headers: { 'x-request-id': 'bad id with spaces' },
      });
      assert.match(generated.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    });

    test('unknown routes answer a Chinese problem+json 404', async () => {
      const res = await t.app.inject({ url: '/api/v1/nothing-here' });
      assert.equal(res.statusCode, 404);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      assert.equal(res.json().code, 'NOT_FOUND');
      assert.match(res.json().detail, /接口不存在/);
    });

    test('a 5xx never leaks internals', async () => {
      const admin = await t.staff('boom', 'province-admin', '210000');
      await t.db.store.db.execute(sql`alter table catalog_versions rename to catalog_versions_gone`);
      try {
        const res = await t.app.inject({ url: '/api/v1/catalog', headers: bearer(admin.token) });
        assert.equal(res.statusCode, 500);
        assert.equal(res.json().code, 'INTERNAL');
        assert.doesNotMatch(res.body, /catalog_versions|relation|select|stack|at \w+ \(/i);
        assert.ok(res.json().requestId);
      } finally {
        await t.db.store.db.execute(sql`alter table catalog_versions_gone rename to catalog_versions`);
      }
    });
  });
}
