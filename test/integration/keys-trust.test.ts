import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { parseCertificate, verifyCertificateSignature } from '../../src/crypto/x509.ts';
import { initProvinceKeys } from '../../src/services/keys/init-keys.ts';
import { keyMaterial } from '../../src/store/schema.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

for (const engine of await engines()) {
  describe(`province keys and trust material [${engine}]`, () => {
    let t: TestApp;
    let dir: string;
    before(async () => {
      t = await createTestApp(engine);
      dir = mkdtempSync(path.join(tmpdir(), 'roadcert-trust-'));
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('GET /api/v1/trust publishes root and seal certificates without authentication; openssl reads and chains them', async () => {
      const res = await t.app.inject({ url: '/api/v1/trust' });
      assert.equal(res.statusCode, 200);
      const trust = res.json();
      assert.equal(trust.signerId, '1234567812345678');
      assert.equal(trust.province.code, '210000');
      const root = path.join(dir, 'root.pem');
      const seal = path.join(dir, 'seal.pem');
      writeFileSync(root, trust.rootCertificate);
      writeFileSync(seal, trust.sealCertificate);
      const text = execFileSync('openssl', ['x509', '-in', seal, '-noout', '-text', '-nameopt', 'utf8'], {
        encoding: 'utf8',
      });
      assert.match(text, /辽宁省道路运输电子证照专用章/);
      assert.match(text, /SM2-with-SM3|sm2sign-with-sm3|1\.2\.156\.10197\.1\.501/i);
      // GM/T 0015: certificate signatures use the default SM2 ID; OpenSSL 3.0 must be told so.
      const verified = execFileSync(
        'openssl',
        ['verify', '-vfyopt', 'distid:1234567812345678', '-CAfile', root, seal],
        {
          encoding: 'utf8',
        },
      );
      assert.match(verified, /OK/);
      assert.ok(
        verifyCertificateSignature(
          parseCertificate(trust.sealCertificate),
          parseCertificate(trust.rootCertificate),
        ),
      );
    });

    test('private keys are stored SM4-wrapped, never in clear', async () => {
      const rows = await t.db.store.db.select().from(keyMaterial);
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.doesNotMatch(r.wrappedPrivateKey, /BEGIN|PRIVATE/);
        assert.ok(r.wrappedPrivateKey.length > 40);
      }
    });

    test('keys init is idempotent; --force replaces the seal key, keeps the root, and keeps the old seal published', async () => {
      const before1 = (await t.app.inject({ url: '/api/v1/trust' })).json();
      const again = await initProvinceKeys(t.ctx, t.cliActor, { force: false });
      assert.equal(again.created, false);
      assert.equal(again.sealKeyId, before1.sealKeyId);

      const replaced = await initProvinceKeys(t.ctx, t.cliActor, { force: true });
      assert.equal(replaced.created, true);
      assert.notEqual(replaced.sealKeyId, before1.sealKeyId);
      await t.keyring.reload();
      const after1 = (await t.app.inject({ url: '/api/v1/trust' })).json();
      assert.equal(after1.rootCertificate, before1.rootCertificate);
      assert.notEqual(after1.sealCertificate, before1.sealCertificate);
      assert.equal(after1.retiredSealCertificates[0].certificate, before1.sealCertificate);
      const actions = await t.db.store.query<{ action: string }>(
        sql`select action from audit_log where target_type = 'key' order by id`,
      );
      assert.deepEqual(
        actions.map((a) => a.action),
        ['keys.init', 'keys.replace'],
      );
    });

    test('the seal signer signs so that openssl verifies with the published certificate and the default ID', async () => {
      const message = Buffer.from('辽宁省道路运输电子证照 — 签章自检', 'utf8');
      const signature = await t.keyring.sealSigner().sign(message);
      const trust = t.keyring.requireTrust();
      const seal = path.join(dir, 'seal2.pem');
      const pub = path.join(dir, 'seal2.pub.pem');
      writeFileSync(seal, trust.sealCertificate);
      execFileSync('openssl', ['x509', '-in', seal, '-noout', '-pubkey', '-out', pub]);
      writeFileSync(path.join(dir, 'msg'), message);
      writeFileSync(path.join(dir, 'sig'), signature);
      const out = execFileSync(
        'openssl',
        [
          'dgst',
          '-sm3',
          '-verify',
          pub,
          '-sigopt',
          'distid:1234567812345678',
          '-signature',
          path.join(dir, 'sig'),
          path.join(dir, 'msg'),
        ],
        { encoding: 'utf8' },
      );
      assert.match(out, /Verified OK/);
    });
  });
}

describe('trust material before keys exist', () => {
  test('GET /api/v1/trust answers 503 KEY_NOT_INITIALIZED, and /readyz says keys missing', async () => {
    const t = await createTestApp('pglite', { keys: false });
    try {
      const res = await t.app.inject({ url: '/api/v1/trust' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().code, 'KEY_NOT_INITIALIZED');
      const ready = await t.app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().keys, 'missing');
    } finally {
      await t.close();
    }
  });
});
