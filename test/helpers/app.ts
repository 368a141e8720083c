import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../../src/config.ts';
import type { RoleId } from '../../src/domain/roles.ts';
import { buildServer } from '../../src/http/app.ts';
import { ensureCatalog } from '../../src/services/catalog/catalog-versions.ts';
import type { Actor, Clock, ServiceContext } from '../../src/services/context.ts';
import { initProvinceKeys } from '../../src/services/keys/init-keys.ts';
import { Keyring } from '../../src/services/keys/keyring.ts';
import { PiiVault } from '../../src/services/pii.ts';
import { createStaff } from '../../src/services/staff/create-staff.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './engines.ts';

export class TestClock implements Clock {
  constructor(public current = new Date('2026-03-02T02:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const PASSWORD = 'Test-Passw0rd!';

export interface TestApp {
  app: FastifyInstance;
  db: TestDatabase;
  config: Config;
  clock: TestClock;
  vault: PiiVault;
  keyring: Keyring;
  ctx: ServiceContext;
  cliActor: Actor;
  /** Creates a staff account and signs it in; returns its id and bearer token. */
  staff(
    username: string,
    role: RoleId,
    regionCode: string,
  ): Promise<{ id: string; token: string; username: string }>;
  login(username: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export function testConfig(dir: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      ROADCERT_MODE: 'demo',
      ROADCERT_KEK: randomBytes(16).toString('hex'),
      LOG_LEVEL: 'silent',
      ROADCERT_DATA_DIR: dir,
      ...env,
    },
    { cwd: dir },
  );
}

/** The real app on a fresh, migrated database of the given engine, with the province's keys. */
export async function createTestApp(
  engine: Engine,
  opts: { keys?: boolean; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'roadcert-test-'));
  const db = await createTestDatabase(engine);
  const config = testConfig(dir, opts.env);
  const clock = new TestClock();
  const vault = new PiiVault(config.kek);
  const ctx: ServiceContext = { db: db.store.db, config, clock, vault, requestId: 'test-setup' };
  const cliActor: Actor = { type: 'cli', id: 'cli:test', regionCode: config.province.code };
  await ensureCatalog(db.store.db);
  if (opts.keys !== false) await initProvinceKeys(ctx, cliActor, { force: false });
  const keyring = await Keyring.load(db.store.db, config);
  const app = await buildServer({ config, store: db.store, vault, clock, keyring });

  const login = async (username: string, password = PASSWORD) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password },
    });
    if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
    return (res.json() as { token: string }).token;
  };

  return {
    app,
    db,
    config,
    clock,
    vault,
    keyring,
    ctx,
    cliActor,
    login,
    async staff(username, role, regionCode) {
      const s = await createStaff(ctx, cliActor, { username, password: PASSWORD, role, regionCode });
      return { id: s.id, username, token: await login(username) };
    },
    async close() {
      await app.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
