import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** A database handle or a transaction; services accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Store {
  db: Db;
  engine: 'pglite' | 'postgres';
  /** Runs a raw statement and returns its rows (same shape on both engines). */
  query<T = Record<string, unknown>>(statement: SQL): Promise<T[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type StoreOptions =
  | { kind: 'pglite'; dataDir: string | null }
  | { kind: 'postgres'; url: string; poolSize?: number };

export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.kind === 'pglite') {
    // null = in memory (tests); otherwise a directory on disk.
    const client = opts.dataDir ? new PGlite(opts.dataDir) : new PGlite();
    await client.waitReady;
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    return makeStore(db, 'pglite', () => client.close());
  }
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 });
  // A broken idle connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return makeStore(db, 'postgres', () => pool.end());
}

function makeStore(db: Db, engine: Store['engine'], close: () => Promise<void>): Store {
  const query = async <T>(statement: SQL): Promise<T[]> => {
    const res = (await db.execute(statement)) as unknown as { rows: T[] };
    return res.rows;
  };
  return {
    db,
    engine,
    query,
    ping: async () => {
      await query(sql`select 1`);
    },
    close,
  };
}

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

interface MigrationFile {
  tag: string;
  statements: string[];
  checksum: string;
}

function readMigrations(): MigrationFile[] {
  const journal = JSON.parse(readFileSync(path.join(migrationsDir, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  return journal.entries.map(({ tag }) => {
    const text = readFileSync(path.join(migrationsDir, `${tag}.sql`), 'utf8');
    return {
      tag,
      statements: text
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter(Boolean),
      checksum: createHash('sha256').update(text).digest('hex'),
    };
  });
}

/**
 * Brings the schema up to date. Runs in one transaction under an advisory lock, so several
 * API nodes starting together apply each migration exactly once; an edited migration that was
 * already applied is refused rather than silently diverging.
 */
export async function migrate(store: Store): Promise<{ applied: string[] }> {
  const files = readMigrations();
  const applied: string[] = [];
  await store.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7263001)`);
    await tx.execute(sql`create table if not exists roadcert_migrations (
      tag text primary key, checksum text not null, applied_at timestamptz not null default now())`);
    const done = (await tx.execute(sql`select tag, checksum from roadcert_migrations`)) as unknown as {
      rows: { tag: string; checksum: string }[];
    };
    const known = new Map(done.rows.map((r) => [r.tag, r.checksum]));
    for (const file of files) {
      const prior = known.get(file.tag);
      if (prior !== undefined) {
        if (prior !== file.checksum) {
          throw new Error(
            `migration ${file.tag} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      for (const statement of file.statements) await tx.execute(sql.raw(statement));
      await tx.execute(
        sql`insert into roadcert_migrations (tag, checksum) values (${file.tag}, ${file.checksum})`,
      );
      applied.push(file.tag);
    }
  });
  return { applied };
}
