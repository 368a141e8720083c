import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openStore, type Store } from '../../src/store/db.ts';

/**
 * The integration suite runs on both engines. PGlite always; PostgreSQL when the server
 * answers. Where CI=true (or ROADCERT_REQUIRE_PG=1) a missing server is a failure, not a skip.
 */
export const PG_ADMIN_URL = process.env.ROADCERT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgRequired = process.env.CI === 'true' || process.env.ROADCERT_REQUIRE_PG === '1';

let pgAvailable: Promise<boolean> | undefined;

export function postgresAvailable(): Promise<boolean> {
  pgAvailable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (e) {
      if (pgRequired) {
        throw new Error(
          `PostgreSQL is required here (CI) but ${PG_ADMIN_URL} does not answer: ${(e as Error).message}`,
        );
      }
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgAvailable;
}

export type Engine = 'pglite' | 'postgres';

export async function engines(): Promise<Engine[]> {
  return (await postgresAvailable()) ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase {
  store: Store;
  /** Connection string of the throw-away PostgreSQL database (postgres engine only). */
  url: string | null;
  drop(): Promise<void>;
}

/** A fresh, migrated database: in-memory PGlite, or a new throw-away database on the server. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const store = await openStore({ kind: 'pglite', dataDir: null });
    await migrate(store);
    return { store, url: null, drop: () => store.close() };
  }
  const name = `roadcert_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const store = await openStore({ kind: 'postgres', url: url.toString(), poolSize: 5 });
  await migrate(store);
  return {
    store,
    url: url.toString(),
    drop: async () => {
      await store.close();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
