import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { AppError } from '../../../src/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'roadcert-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function refusal(env: Record<string, string>): AppError {
  try {
    loadConfig(env, { cwd: dir });
  } catch (e) {
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'CONFIG_INVALID');
    return e;
  }
  assert.fail('configuration was accepted');
}

describe('configuration', () => {
  test('demo defaults: embedded store under ./data, Liaoning, port 3000, a demo KEK kept on disk', () => {
    const c = loadConfig({}, { cwd: dir });
    assert.equal(c.mode, 'demo');
    assert.equal(c.port, 3000);
    assert.deepEqual(c.database, { kind: 'pglite', dataDir: path.join(dir, 'data', 'pglite') });
    assert.equal(c.province.name, '辽宁省');
    assert.equal(c.province.sealName, '辽宁省道路运输电子证照专用章');
    assert.equal(c.kekSource, 'demo-file');
    const saved = readFileSync(path.join(dir, 'data', 'demo-kek.hex'), 'utf8').trim();
    assert.equal(saved, c.kek.toString('hex'));
    assert.equal(loadConfig({}, { cwd: dir }).kek.toString('hex'), saved, 'reused on the next start');
  });

  test('production refuses to start without its own KEK and database, naming the setting', () => {
    const noDb = refusal({ ROADCERT_MODE: 'production', ROADCERT_KEK: '00112233445566778899aabbccddeeff' });
    assert.match(noDb.message, /DATABASE_URL/);
    const noKek = refusal({ ROADCERT_MODE: 'production', DATABASE_URL: 'postgres://x@localhost/db' });
    assert.match(noKek.message, /ROADCERT_KEK/);
    const ok = loadConfig(
      {
        ROADCERT_MODE: 'production',
        DATABASE_URL: 'postgres://x@localhost/db',
        ROADCERT_KEK: '00112233445566778899aabbccddeeff',
      },
      { cwd: dir },
    );
    assert.equal(ok.kekSource, 'env');
    assert.deepEqual(ok.database, { kind: 'postgres', url: 'postgres://x@localhost/db' });
  });

  test('bad values are refused with the variable named', () => {
    assert.match(refusal({ PORT: 'eighty' }).message, /PORT/);
    assert.match(refusal({ PORT: '70000' }).message, /PORT/);
    assert.match(refusal({ ROADCERT_MODE: 'prod' }).message, /ROADCERT_MODE/);
    assert.match(refusal({ ROADCERT_KEK: 'abc' }).message, /ROADCERT_KEK/);
    assert.match(refusal({ ROADCERT_KEK: '00000000000000000000000000000000' }).message, /ROADCERT_KEK/);
    assert.match(refusal({ DATABASE_URL: 'mysql://x' }).message, /DATABASE_URL/);
    assert.match(refusal({ ROADCERT_PROVINCE_CODE: '210100' }).message, /ROADCERT_PROVINCE_CODE/);
    assert.match(refusal({ LOG_LEVEL: 'loud' }).message, /LOG_LEVEL/);
  });

  test('another province is configuration, not code', () => {
    const c = loadConfig({ ROADCERT_PROVINCE_CODE: '220000' }, { cwd: dir });
    assert.equal(c.province.name, '吉林省');
    assert.equal(c.province.sealName, '吉林省道路运输电子证照专用章');
  });
});
