import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { KINDS } from '../../src/domain/catalog/kinds.ts';
import { sampleRecord } from '../../src/domain/rules/samples.ts';
import { signRequest } from '../../src/services/clients/authenticate-client.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/engines.ts';
import { repoRoot as root, startServerProcess } from '../helpers/server-process.ts';

/**
 * A server killed with SIGKILL in the middle of a large batch, then the same batch sent again to
 * a restarted server: every certificate exists exactly once (per-record transactions and the
 * sourceRecordId + sourceVersion idempotency key).
 */
describe('crash in the middle of a batch', async () => {
  const skip = !(await postgresAvailable());
  let db: TestDatabase;
  let dir: string;
  let env: Record<string, string>;
  let server: ChildProcess | undefined;

  const startServer = async (): Promise<string> => {
    const started = await startServerProcess(env, 60_000);
    server = started.process;
    return started.base;
  };

  before(async () => {
    if (skip) return;
    db = await createTestDatabase('postgres');
    dir = mkdtempSync(path.join(tmpdir(), 'roadcert-crash-'));
    env = {
      ROADCERT_MODE: 'production',
      DATABASE_URL: db.url!,
      ROADCERT_KEK: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      ROADCERT_DATA_DIR: dir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    const keys = spawnSync(process.execPath, ['bin/roadcert.mjs', 'keys', 'init'], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    assert.equal(keys.status, 0, keys.stderr);
  });
  after(async () => {
    server?.kill('SIGKILL');
    if (!skip) {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGKILL mid-batch, then the same batch again: every certificate exactly once', { skip }, async () => {
    const created = spawnSync(
      process.execPath,
      ['bin/roadcert.mjs', 'client', 'create', '--name', '运政系统', '--region', '210000', '--json'],
      {
        cwd: root,
        env: { ...process.env, ...env },
        encoding: 'utf8',
      },
    );
    assert.equal(created.status, 0, created.stderr);
    const client = JSON.parse(created.stdout) as { clientId: string; secret: string };
    const records = Array.from({ length: 1000 }, (_, i) => ({
      ...sampleRecord(KINDS[i % KINDS.length]!.code, {}, { index: 20_000 + i }),
      sourceRecordId: `CRASH-${i}`,
      sourceVersion: 1,
      event: 'issue',
    }));
    const body = JSON.stringify({ records });
    const send = (base: string) => {
      const timestamp = new Date().toISOString();
      return fetch(`${base}/api/v1/intake/records`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-client-id': client.clientId,
          'x-timestamp': timestamp,
          'x-signature': signRequest(client.secret, timestamp, body),
        },
        body,
      });
    };
    const count = async () =>
      Number((await db.store.query<{ n: number }>(sql`select count(*)::int as n from certificates`))[0]!.n);

    const base1 = await startServer();
    const first = send(base1).catch((e: unknown) => e);
    const deadline = Date.now() + 60_000;
    while ((await count()) < 50) {
      if (Date.now() > deadline) throw new Error('no progress before the kill');
      await new Promise((r) => setTimeout(r, 20));
    }
    server!.kill('SIGKILL');
    await first;
    const partial = await count();
    assert.ok(partial > 0 && partial < 1000, `killed mid-batch (${partial} done)`);

    const base2 = await startServer();
    const res = await send(base2);
    assert.equal(res.status, 200);
    const body2 = (await res.json()) as { results: { status: string }[]; summary: Record<string, number> };
    assert.equal(body2.results.length, 1000);
    assert.ok(
      body2.results.every((r) => r.status === 'issued' || r.status === 'duplicate'),
      JSON.stringify(body2.summary),
    );
    assert.equal(body2.summary.duplicate ?? 0, partial, 'the ones done before the kill answer duplicate');
    assert.equal(await count(), 1000);
    const perLicence = await db.store.query<{ n: number }>(
      sql`select count(*)::int as n from (select source_record_id from certificates group by source_record_id having count(*) > 1) d`,
    );
    assert.equal(perLicence[0]!.n, 0, 'no licence has two certificates');
    const serials = await db.store.query<{ n: number }>(
      sql`select count(distinct serial)::int as n from certificates`,
    );
    assert.equal(serials[0]!.n, 1000);
    server!.kill('SIGTERM');
  });
});
