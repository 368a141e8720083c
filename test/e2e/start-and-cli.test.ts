import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/engines.ts';
import { startServerProcess } from '../helpers/server-process.ts';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'bin', 'roadcert.mjs');

function runCli(args: string[], env: Record<string, string>) {
  const res = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('npm start on the embedded default', () => {
  let dir: string;
  let server: ChildProcess;
  let output = '';
  let base = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'roadcert-start-'));
    // Demo seeding runs on this first start: allow for a slow, shared machine.
    const started = await startServerProcess(
      { ROADCERT_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ROADCERT_KEK: '' },
      180_000,
    );
    server = started.process;
    output = started.output();
    base = started.base;
  });

  after(() => {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints the URL and the demo accounts; a printed account signs in', async () => {
    assert.match(output, /演示账户/);
    const m = /^\s+admin\s+(\S+)\s+province-admin/m.exec(output);
    assert.ok(m, output);
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: m[1] }),
    });
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    const me = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await me.json()) as { user: { regionName: string } }).user.regionName, '辽宁省');
  });

  test('a CLI command on the same embedded database is refused while the server holds it', () => {
    const r = runCli(['audit', 'verify'], { ROADCERT_DATA_DIR: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /正被进程 \d+ 使用/);
  });
});

describe('the roadcert CLI on PostgreSQL', async () => {
  const skip = !(await postgresAvailable());
  let db: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    if (skip) return;
    db = await createTestDatabase('postgres');
    env = {
      ROADCERT_MODE: 'production',
      DATABASE_URL: db.url!,
      ROADCERT_KEK: '8f1e2d3c4b5a69788796a5b4c3d2e1f0',
    };
  });
  after(async () => {
    if (!skip) await db.drop();
  });

  test('keys init is idempotent, admin create bootstraps, audit verify passes', { skip }, () => {
    const first = runCli(['keys', 'init', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).created, true);
    const second = runCli(['keys', 'init', '--json'], env);
    assert.equal(JSON.parse(second.stdout).created, false);
    assert.equal(JSON.parse(second.stdout).sealKeyId, JSON.parse(first.stdout).sealKeyId);

    const admin = runCli(
      [
        'admin',
        'create',
        '--username',
        'admin',
        '--password',
        'Prod-Passw0rd!',
        '--role',
        'province-admin',
        '--region',
        '210000',
        '--json',
      ],
      env,
    );
    assert.equal(admin.code, 0, admin.stderr);
    assert.equal(JSON.parse(admin.stdout).role, 'province-admin');

    const verify = runCli(['audit', 'verify', '--json'], env);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(JSON.parse(verify.stdout).ok, true);
  });

  test('bad input exits 2 with a clear message and writes nothing', { skip }, () => {
    const weak = runCli(
      [
        'admin',
        'create',
        '--username',
        'user1',
        '--password',
        'short',
        '--role',
        'supervisor',
        '--region',
        '210000',
      ],
      env,
    );
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /密码/);
    const region = runCli(
      [
        'admin',
        'create',
        '--username',
        'user2',
        '--password',
        'Prod-Passw0rd!',
        '--role',
        'supervisor',
        '--region',
        '990000',
      ],
      env,
    );
    assert.equal(region.code, 2);
    assert.match(region.stderr, /990000/);
    const role = runCli(
      [
        'admin',
        'create',
        '--username',
        'user3',
        '--password',
        'Prod-Passw0rd!',
        '--role',
        'king',
        '--region',
        '210000',
      ],
      env,
    );
    assert.equal(role.code, 2);
    const wrongKek = runCli(['keys', 'init'], { ...env, ROADCERT_KEK: '00112233445566778899aabbccddeeff' });
    assert.equal(wrongKek.code, 1, 'a KEK that does not open the stored keys is refused');
    assert.match(wrongKek.stderr, /密钥/);
    const noKek = runCli(['keys', 'init'], { ...env, ROADCERT_KEK: '' });
    assert.equal(noKek.code, 2);
    assert.match(noKek.stderr, /ROADCERT_KEK/);
  });

  test('production start refuses without keys', { skip }, async () => {
    const fresh = await createTestDatabase('postgres');
    try {
      const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/http/server.ts'], {
        cwd: root,
        env: { ...process.env, ...env, DATABASE_URL: fresh.url!, PORT: '0', LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(res.status, 1);
      assert.match(res.stderr, /keys init/);
    } finally {
      await fresh.drop();
    }
  });
});
