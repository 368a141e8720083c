import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packOfd, unpackOfd } from '../../src/documents/ofd/package.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { postgresAvailable } from '../helpers/engines.ts';
import { intakeRecord, push, registerClient } from '../helpers/intake.ts';
import {
  certificateOfd,
  certificatePdf,
  foreignSealingKeys,
  provinceSealingKeys,
} from '../helpers/sealed-document.ts';
import { repoRoot, startServerProcess } from '../helpers/server-process.ts';

const cli = path.join(repoRoot, 'bin', 'roadcert.mjs');
const PRACTITIONER = '11100000000019713D071';
const BUSINESS = '11100000000019713D008';

/** Runs `roadcert …` as a real process (async, so a server started by the test keeps answering). */
function runCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('roadcert verify FILE (a real process, PostgreSQL)', async () => {
  const skip = !(await postgresAvailable());
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;
  let server: ChildProcess | undefined;
  let base = '';
  let superseding = '';
  const file = (name: string) => path.join(dir, name);

  before(async () => {
    if (skip) return;
    dir = mkdtempSync(path.join(tmpdir(), 'roadcert-verify-'));
    t = await createTestApp('postgres');
    env = {
      ROADCERT_MODE: 'production',
      DATABASE_URL: t.db.url!,
      ROADCERT_KEK: t.config.kek.toString('hex'),
    };
    const client = await registerClient(t);
    const recA = intakeRecord(PRACTITIONER, 'E-A', 1, 'issue', {}, 601);
    const recB = intakeRecord(BUSINESS, 'E-B', 1, 'issue', {}, 602);
    const recC = intakeRecord(PRACTITIONER, 'E-C', 1, 'issue', {}, 603);
    const issued = (await push(t, client, [recA, recB, recC])).json().results;
    const [a, b, c] = issued.map((r: { identifier: string }) => r.identifier) as string[];
    const keys = await provinceSealingKeys(t.ctx, t.keyring);
    const docA = await certificateOfd(t.ctx, keys, a!);
    writeFileSync(file('valid.ofd'), docA);
    writeFileSync(file('revoked.ofd'), await certificateOfd(t.ctx, keys, b!));
    // Named .ofd on purpose: the format is read from the content.
    writeFileSync(file('valid-pdf.ofd'), await certificatePdf(t.ctx, keys, a!));
    writeFileSync(file('superseded.ofd'), await certificateOfd(t.ctx, keys, c!));
    writeFileSync(file('foreign.ofd'), await certificateOfd(t.ctx, await foreignSealingKeys('伪造章'), a!));
    const files = unpackOfd(docA);
    const content = Buffer.from(files.get('Doc_0/Pages/Page_0/Content.xml')!);
    content[content.indexOf('UTF-8')] = 'u'.charCodeAt(0);
    writeFileSync(
      file('tampered.ofd'),
      packOfd(new Map([...files, ['Doc_0/Pages/Page_0/Content.xml', content]])),
    );
    writeFileSync(file('not-a-document.ofd'), '这不是 OFD 文档');

    t.clock.advance(1000);
    const changed = (
      await push(t, client, [
        {
          sourceRecordId: 'E-B',
          sourceVersion: 2,
          event: 'revoke',
          kind: BUSINESS,
          regionCode: recB.regionCode,
          reason: '申请注销',
        },
        intakeRecord(PRACTITIONER, 'E-C', 2, 'change', {}, 603),
      ])
    ).json().results;
    assert.deepEqual(
      changed.map((r: { status: string }) => r.status),
      ['updated', 'updated'],
    );
    superseding = changed[1].identifier;
  });
  after(async () => {
    if (skip) return;
    server?.kill('SIGTERM');
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('on the configured database: exit code per outcome, Chinese output, --json verdict', {
    skip,
  }, async () => {
    const [valid, pdf, tampered, foreign, revoked, superseded] = await Promise.all([
      runCli(['verify', file('valid.ofd')], env),
      runCli(['verify', file('valid-pdf.ofd'), '--json'], env),
      runCli(['verify', file('tampered.ofd')], env),
      runCli(['verify', file('foreign.ofd'), '--json'], env),
      runCli(['verify', file('revoked.ofd'), '--json'], env),
      runCli(['verify', file('superseded.ofd')], env),
    ]);
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /结论：✓ 有效/);
    assert.match(valid.stdout, /当前状态\s+有效/);

    assert.equal(pdf.code, 0, pdf.stderr);
    const verdict = JSON.parse(pdf.stdout);
    assert.equal(verdict.format, 'pdf');
    assert.equal(verdict.outcome, 'valid');
    assert.equal(verdict.status.state, 'valid');

    assert.equal(tampered.code, 3, tampered.stderr);
    assert.match(tampered.stdout, /已被篡改/);
    assert.match(tampered.stdout, /Doc_0\/Pages\/Page_0\/Content\.xml/);

    assert.equal(foreign.code, 4, foreign.stderr);
    assert.equal(JSON.parse(foreign.stdout).outcome, 'unknown_issuer');

    assert.equal(revoked.code, 5, revoked.stderr);
    assert.equal(JSON.parse(revoked.stdout).status.state, 'revoked');

    assert.equal(superseded.code, 6, superseded.stderr);
    assert.ok(superseded.stdout.includes(superseding), superseded.stdout);
  });

  test('--offline checks the document only; bad input exits 2; --help lists the exit codes', {
    skip,
  }, async () => {
    const [offline, tampered, garbage, help] = await Promise.all([
      runCli(['verify', file('revoked.ofd'), '--offline', '--json'], env),
      runCli(['verify', file('tampered.ofd'), '--offline', '--json'], env),
      runCli(['verify', file('not-a-document.ofd')], env),
      runCli(['verify', '--help'], {}),
    ]);
    assert.equal(offline.code, 0, offline.stderr);
    const v = JSON.parse(offline.stdout);
    assert.equal(v.outcome, 'status_unknown');
    assert.equal(v.reasons[0].code, 'STATUS_NOT_CHECKED');
    assert.equal(tampered.code, 3, 'offline still refuses a tampered document');
    assert.equal(JSON.parse(tampered.stdout).reasons[0].path, 'Doc_0/Pages/Page_0/Content.xml');
    assert.equal(garbage.code, 2);
    assert.match(garbage.stderr, /不是 OFD 或 PDF 文档/);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /退出码/);
    assert.match(help.stdout, /3\s+已被篡改/);
  });

  test('--server URL: trust and status from a running platform, over HTTP', { skip }, async () => {
    const started = await startServerProcess(
      { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      120_000,
    );
    server = started.process;
    base = started.base;
    // No database settings: everything comes from the server.
    const remote = { ROADCERT_MODE: '', DATABASE_URL: '', ROADCERT_KEK: '' };
    const [valid, revoked] = await Promise.all([
      runCli(['verify', file('valid.ofd'), '--server', base, '--json'], remote),
      runCli(['verify', file('revoked.ofd'), '--server', base], remote),
    ]);
    assert.equal(valid.code, 0, valid.stderr + valid.stdout);
    assert.equal(JSON.parse(valid.stdout).status.state, 'valid');
    assert.equal(revoked.code, 5, revoked.stderr + revoked.stdout);
    assert.match(revoked.stdout, /已注销/);
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
    const down = await runCli(['verify', file('valid.ofd'), '--server', base], remote);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /无法从 .*api\/v1\/trust 获取信任材料/);
  });
});
