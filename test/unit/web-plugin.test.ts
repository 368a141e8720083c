import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import web from '../../src/http/plugins/web.ts';

describe('serving the built web pages', () => {
  let dist: string;
  let app: FastifyInstance;
  let bare: FastifyInstance;

  before(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'roadcert-web-'));
    for (const page of ['wallet', 'verify']) {
      mkdirSync(path.join(dist, page));
      writeFileSync(path.join(dist, page, 'index.html'), `<!doctype html><title>${page}</title>`);
    }
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'assets', 'wallet-abc123.js'), 'console.log(1)');
    app = Fastify();
    app.get('/api/v1/ping', async () => ({ ok: true }));
    await app.register(web, { dist });
    bare = Fastify();
    await bare.register(web, { dist: path.join(dist, 'missing') });
  });
  after(async () => {
    await app.close();
    await bare.close();
    rmSync(dist, { recursive: true, force: true });
  });

  test('every path below a page answers its index.html, never cached', async () => {
    for (const url of ['/wallet/', '/wallet/certificates/1.2.156.3005.2.X/show', '/verify/']) {
      const res = await app.inject(url);
      assert.equal(res.statusCode, 200, url);
      assert.match(res.headers['content-type'] as string, /text\/html/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(res.body, url.startsWith('/verify') ? /<title>verify/ : /<title>wallet/);
    }
    const bareSlash = await app.inject('/wallet');
    assert.equal(bareSlash.statusCode, 302);
    assert.equal(bareSlash.headers.location, '/wallet/');
  });

  test('hashed assets are cached for a year; API routes and unknown paths are untouched', async () => {
    const asset = await app.inject('/assets/wallet-abc123.js');
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers['cache-control'] as string, /max-age=31536000.*immutable/);
    assert.equal((await app.inject('/assets/nope.js')).statusCode, 404);
    assert.deepEqual((await app.inject('/api/v1/ping')).json(), { ok: true });
    assert.equal((await app.inject('/walletx/')).statusCode, 404);
  });

  test('without a build the pages say how to build them', async () => {
    const res = await bare.inject('/wallet/');
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build:web/);
  });
});
