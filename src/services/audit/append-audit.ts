import { type SQL, sql } from 'drizzle-orm';
import { canonicalJson } from '../../crypto/canonical-json.ts';
import { sm3Hex } from '../../crypto/sm3.ts';
import { type ColumnType, canCopy, insertRows } from '../../store/bulk-insert.ts';
import type { Db } from '../../store/db.ts';
import { auditHeads } from '../../store/schema.ts';
import type { Actor } from '../context.ts';
import type { AuditAction } from './actions.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  action: AuditAction;
  /** The region the event belongs to (the target's region; the actor's when no target). */
  regionCode: string;
  targetType?: string;
  targetId?: string;
  outcome?: 'success' | 'failure';
  /** Never raw personal data: mask identifiers before they get here. */
  details?: Record<string, unknown>;
}

/**
 * One chain per region code (province, city or county): appends in different regions never wait
 * on each other, which keeps bulk issuance parallel and the trail shardable by region.
 */
export function chainOf(regionCode: string): string {
  return regionCode;
}

export interface HashedFields {
  chain: string;
  seq: number;
  at: Date;
  actorType: string;
  actorId: string | null;
  actorRole: string | null;
  actorRegion: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  regionCode: string;
  requestId: string | null;
  outcome: string;
  details: unknown;
  prevHash: string;
}

/** The SM3 over the canonical JSON (RFC 8785) of every field but the hash itself. */
export function auditHash(f: HashedFields): string {
  return sm3Hex(canonicalJson({ ...f, at: f.at.toISOString() }));
}

type AuditMeta = { at: Date; requestId?: string | undefined };

/**
 * Locks a chain and reads its head, as two statements (see appendAudit for why). The head is read
 * `for update`: its row lock is what an append with a guessed head (appendAuditBatch with
 * `heads`) takes instead of the advisory lock, so the two kinds of append exclude each other.
 */
async function lockChainHead(tx: Db, chain: string): Promise<{ seq: number; hash: string }> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`audit:${chain}`}))`);
  const res = (await tx.execute(
    sql`select seq, hash from audit_heads where chain = ${chain} for update`,
  )) as unknown as { rows: { seq: number | string; hash: string }[] };
  const head = res.rows[0];
  return head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: GENESIS_HASH };
}

/** audit_log's columns for insertRows (COPY on PostgreSQL), as auditRow names them. */
const AUDIT_LOG_TYPES: Record<string, ColumnType> = {
  chain: 'text',
  seq: 'bigint',
  at: 'timestamptz',
  actor_type: 'text',
  actor_id: 'text',
  actor_role: 'text',
  actor_region: 'text',
  action: 'text',
  target_type: 'text',
  target_id: 'text',
  region_code: 'text',
  request_id: 'text',
  outcome: 'text',
  details: 'jsonb',
  prev_hash: 'text',
  hash: 'text',
};

/** A record's row for the multi-row inserts, in audit_log's column names. */
export function auditRow(fields: HashedFields, hash: string) {
  return {
    chain: fields.chain,
    seq: fields.seq,
    at: fields.at,
    actor_type: fields.actorType,
    actor_id: fields.actorId,
    actor_role: fields.actorRole,
    actor_region: fields.actorRegion,
    action: fields.action,
    target_type: fields.targetType,
    target_id: fields.targetId,
    region_code: fields.regionCode,
    request_id: fields.requestId,
    outcome: fields.outcome,
    details: fields.details,
    prev_hash: fields.prevHash,
    hash,
  };
}

/** The hashed fields of the record that follows `prev` in its chain. */
function nextFields(
  actor: Actor,
  entry: AuditEntry,
  meta: AuditMeta,
  chain: string,
  prev: { seq: number; hash: string },
): HashedFields {
  return {
    chain,
    seq: prev.seq + 1,
    at: meta.at,
    actorType: actor.type,
    actorId: actor.id,
    actorRole: actor.type === 'staff' ? actor.role : null,
    actorRegion: actor.regionCode,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    regionCode: entry.regionCode,
    requestId: meta.requestId ?? null,
    outcome: entry.outcome ?? 'success',
    details: entry.details ?? {},
    prevHash: prev.hash,
  };
}

/**
 * Appends one record to the audit trail. Call it inside the transaction that makes the change,
 * so the change and its record commit or roll back together. A transaction-scoped advisory lock
 * on the chain orders concurrent appends on several API nodes.
 */
export async function appendAudit(tx: Db, actor: Actor, entry: AuditEntry, meta: AuditMeta): Promise<void> {
  const chain = chainOf(entry.regionCode);
  // The lock and the read must be separate statements: under READ COMMITTED a statement's snapshot
  // is taken when it starts, so a head read in the locking statement could miss the head that the
  // previous lock holder committed while this one waited.
  const fields = nextFields(actor, entry, meta, chain, await lockChainHead(tx, chain));
  const hash = auditHash(fields);
  // The record and its chain head in one round trip: the chain lock is held until commit, so
  // every statement saved here shortens the queue of appends in this region.
  await tx.execute(sql`
    with appended as (
      insert into audit_log (chain, seq, at, actor_type, actor_id, actor_role, actor_region, action, target_type,
                             target_id, region_code, request_id, outcome, details, prev_hash, hash)
      values (${chain}, ${fields.seq}, ${meta.at.toISOString()}::timestamptz, ${fields.actorType}, ${fields.actorId},
              ${fields.actorRole}, ${fields.actorRegion}, ${fields.action}, ${fields.targetType}, ${fields.targetId},
              ${fields.regionCode}, ${fields.requestId}, ${fields.outcome}, ${JSON.stringify(fields.details)}::jsonb,
              ${fields.prevHash}, ${hash})
      returning 1
    )
    insert into audit_heads (chain, seq, hash, updated_at)
    select ${chain}, ${fields.seq}, ${hash}, ${meta.at.toISOString()}::timestamptz from appended
    on conflict (chain) do update set seq = excluded.seq, hash = excluded.hash, updated_at = excluded.updated_at`);
}

/**
 * Appends many records at once (bulk issuance): per chain, one lock, one head read, the hashes
 * chained in order in memory, one multi-row insert and one head update. The resulting trail is
 * exactly what the same records appended one by one would give.
 */
export async function appendAuditMany(
  tx: Db,
  actor: Actor,
  entries: readonly AuditEntry[],
  meta: AuditMeta,
): Promise<void> {
  const byChain = new Map<string, AuditEntry[]>();
  for (const e of entries) {
    const chain = chainOf(e.regionCode);
    const list = byChain.get(chain);
    if (list) list.push(e);
    else byChain.set(chain, [e]);
  }
  // A fixed order of chain locks, so two bulk writers cannot deadlock.
  for (const chain of [...byChain.keys()].sort()) {
    let prev = await lockChainHead(tx, chain);
    const rows = byChain.get(chain)!.map((entry) => {
      const fields = nextFields(actor, entry, meta, chain, prev);
      const hash = auditHash(fields);
      prev = { seq: fields.seq, hash };
      return auditRow(fields, hash);
    });
    await insertRows(tx, 'audit_log', AUDIT_LOG_TYPES, rows);
    await tx
      .insert(auditHeads)
      .values({ chain, seq: prev.seq, hash: prev.hash, updatedAt: meta.at })
      .onConflictDoUpdate({
        target: auditHeads.chain,
        set: { seq: prev.seq, hash: prev.hash, updatedAt: meta.at },
      });
  }
}

/** One record of a batch from several actors (group commit of online checks). */
export interface AuditBatchItem {
  actor: Actor;
  entry: AuditEntry;
  meta: AuditMeta;
}

type Head = { seq: number; hash: string };

/**
 * The newest head of each chain as this process last wrote or saw it: a guess, since another API
 * node, another writer or a rolled-back transaction may have moved the chain since. An append on
 * guessed heads checks them against the locked head rows in its own statement and fails rather than
 * write if one is wrong, so a wrong guess costs a retry, never a broken chain. It lets the next
 * batch be built, and wait at the heads' row locks inside PostgreSQL, while the previous one commits.
 */
export class ChainHeads {
  readonly #heads = new Map<string, Head>();
  #turn: Promise<void> = Promise.resolve();
  #lastSent: Promise<void> = Promise.resolve();

  get(chain: string): Head | undefined {
    return this.#heads.get(chain);
  }

  set(chain: string, head: Head): void {
    this.#heads.set(chain, head);
  }

  forget(chain: string): void {
    this.#heads.delete(chain);
  }

  /**
   * Marks a guessed append as sent: `previous` settles when the one sent before it has finished
   * (it may be the batch this one was built on), `done` marks this one finished.
   */
  sending(): { previous: Promise<void>; done(): void } {
    const previous = this.#lastSent;
    let done!: () => void;
    this.#lastSent = new Promise<void>((resolve) => {
      done = resolve;
    });
    return { previous, done };
  }

  /**
   * Runs `append` (build a batch on the guesses, send it, wait for it) when the previous one has
   * finished, for a caller whose send is not immediate (drizzle's execute awaits before it sends):
   * otherwise a later batch could reach the head rows first and find its base not yet written.
   */
  async inTurn<T>(append: () => Promise<T>): Promise<T> {
    const previous = this.#turn;
    let done!: () => void;
    this.#turn = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      await previous;
      return await append();
    } finally {
      done();
    }
  }
}

const HEADS_MOVED = 'audit chain head moved';

/** An append on guessed heads found a chain moved on (or gone): the transaction must be retried. */
export class ChainHeadsMoved extends Error {
  readonly code = 'AUDIT_CHAIN_HEADS_MOVED';
  constructor(cause: unknown) {
    super('audit chain heads moved under a guessed append', { cause });
  }
}

/** Whether a database error is a guessed append's refusal (see guessedAppend). */
export function isHeadsMoved(e: unknown): boolean {
  for (
    let err = e as { message?: unknown; cause?: unknown } | undefined;
    err;
    err = err.cause as typeof err
  ) {
    if (typeof err.message === 'string' && err.message.includes(HEADS_MOVED)) return true;
  }
  return false;
}

const auditLogColumns = sql.raw(
  'chain, seq, at, actor_type, actor_id, actor_role, actor_region, action, target_type, target_id, region_code, request_id, outcome, details, prev_hash, hash',
);

/** `select … from` the records as one jsonb parameter, in audit_log's column order. */
function recordsSource(rows: ReturnType<typeof auditRow>[]): SQL {
  return sql`select ${auditLogColumns}
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
         as x(chain text, seq bigint, at timestamptz, actor_type text, actor_id text, actor_role text,
              actor_region text, action text, target_type text, target_id text, region_code text,
              request_id text, outcome text, details jsonb, prev_hash text, hash text)`;
}

/** The records of a batch chained on `from` (every chain of the batch present), and the new heads. */
function chainBatch(
  items: readonly AuditBatchItem[],
  chains: readonly string[],
  from: ReadonlyMap<string, Head>,
): {
  rows: ReturnType<typeof auditRow>[];
  heads: { chain: string; seq: number; hash: string; updated_at: Date }[];
} {
  const heads = new Map<string, Head & { at: Date }>();
  for (const chain of chains) {
    const h = from.get(chain) ?? { seq: 0, hash: GENESIS_HASH };
    heads.set(chain, { ...h, at: new Date(0) });
  }
  const rows = items.map(({ actor, entry, meta }) => {
    const chain = chainOf(entry.regionCode);
    const fields = nextFields(actor, entry, meta, chain, heads.get(chain)!);
    const hash = auditHash(fields);
    heads.set(chain, { seq: fields.seq, hash, at: meta.at });
    return auditRow(fields, hash);
  });
  return {
    rows,
    heads: chains.map((chain) => {
      const h = heads.get(chain)!;
      return { chain, seq: h.seq, hash: h.hash, updated_at: h.at };
    }),
  };
}

/**
 * From this many records a batch goes in by COPY where the transaction allows it (PostgreSQL):
 * one round trip more than the single statement below, but PostgreSQL no longer parses every
 * record out of one large jsonb parameter (bulk issuance appends a record per certificate).
 */
const COPY_FROM_RECORDS = 64;

/** Writes a batch's records and its chains' new heads, the chains being locked already. */
async function writeBatch(tx: Db, batch: ReturnType<typeof chainBatch>): Promise<void> {
  if (batch.rows.length >= COPY_FROM_RECORDS && canCopy(tx)) {
    await insertRows(tx, 'audit_log', AUDIT_LOG_TYPES, batch.rows);
    await tx.execute(sql`
      insert into audit_heads (chain, seq, hash, updated_at)
      select chain, seq, hash, updated_at
        from jsonb_to_recordset(${JSON.stringify(batch.heads)}::jsonb)
             as h(chain text, seq bigint, hash text, updated_at timestamptz)
      on conflict (chain) do update set seq = excluded.seq, hash = excluded.hash, updated_at = excluded.updated_at`);
    return;
  }
  await tx.execute(sql`
    with appended as (
      insert into audit_log (${auditLogColumns}) ${recordsSource(batch.rows)}
      returning 1
    )
    insert into audit_heads (chain, seq, hash, updated_at)
    select chain, seq, hash, updated_at
      from jsonb_to_recordset(${JSON.stringify(batch.heads)}::jsonb)
           as h(chain text, seq bigint, hash text, updated_at timestamptz)
    on conflict (chain) do update set seq = excluded.seq, hash = excluded.hash, updated_at = excluded.updated_at`);
}

/**
 * Appends records of several actors at once, in their order, with a fixed number of round trips
 * however many records and chains. The trail is exactly what appending the records one by one
 * would give.
 *
 * Under the locks (no `heads`, a chain not guessed, or `underLocks`): the chains' advisory locks in
 * one statement (taken in sorted order, like appendAuditMany, so batch writers cannot deadlock each
 * other), their heads `for update` in a second (a separate statement for the reason given in
 * appendAudit; the row lock is what an append on guessed heads waits for), and every record with
 * the new heads in a third. `heads`, if given, then learns the new heads.
 *
 * On guessed heads (every chain of the batch guessed in `heads`): one statement (guessedAppend),
 * sent when the previous guessed append of `heads` has finished. A wrong guess fails it with
 * ChainHeadsMoved and forgets the guesses: roll back and retry.
 *
 * `alongside` (data-modifying CTEs, `name as (…), …`, built from code only) rides in the first
 * statement: the caller's own writes of the same transaction, without a round trip of their own.
 */
export async function appendAuditBatch(
  tx: Db,
  items: readonly AuditBatchItem[],
  opts: { alongside?: SQL | undefined; heads?: ChainHeads | undefined; underLocks?: boolean } = {},
): Promise<void> {
  if (items.length === 0) {
    if (opts.alongside) await tx.execute(sql`with ${opts.alongside} select 1`);
    return;
  }
  const heads = opts.heads;
  const appended =
    heads &&
    !opts.underLocks &&
    (await heads.inTurn(async () => {
      const guessed = guessedAppend(items, { heads, alongside: opts.alongside });
      if (!guessed) return false;
      try {
        await tx.execute(guessed.statement);
      } catch (e) {
        throw guessed.onError(e);
      }
      return true;
    }));
  if (appended) return;
  const chains = [...new Set(items.map((i) => chainOf(i.entry.regionCode)))].sort();
  const keys = JSON.stringify(chains.map((c) => `audit:${c}`));
  // OFFSET 0 keeps the ordered subquery from being flattened, so the locks are taken in its order.
  await tx.execute(sql`
    ${opts.alongside ? sql`with ${opts.alongside}` : sql``}
    select count(pg_advisory_xact_lock(hashtext(k)))
      from (select k from jsonb_array_elements_text(${keys}::jsonb) with ordinality as t(k, i) order by i offset 0) s`);
  const res = (await tx.execute(
    sql`select chain, seq, hash from audit_heads
         where chain in (select jsonb_array_elements_text(${JSON.stringify(chains)}::jsonb))
         order by chain collate "C" for update`,
  )) as unknown as { rows: { chain: string; seq: number | string; hash: string }[] };
  const current = new Map<string, Head>(res.rows.map((r) => [r.chain, { seq: Number(r.seq), hash: r.hash }]));
  const batch = chainBatch(items, chains, current);
  await writeBatch(tx, batch);
  for (const h of batch.heads) opts.heads?.set(h.chain, { seq: h.seq, hash: h.hash });
}

/**
 * The batch's append on guessed heads as ONE statement, for a caller that sends it itself (with its
 * COMMIT in the same message); null unless every chain of the batch is guessed. The statement locks
 * the chains' head rows in sorted order (`for update`: the sort runs below the lock, and having
 * waited it reads the head the previous holder committed), and writes the records and the new heads
 * only if every guess matches; otherwise it fails, and the caller rolls back and retries — the
 * chains missed are then appended under their locks (`onError` forgets the guesses). The guesses
 * move on to this batch's heads at once, so the next batch can be built before this one commits.
 */
export function guessedAppend(
  items: readonly AuditBatchItem[],
  opts: { heads: ChainHeads; alongside?: SQL | undefined },
): { statement: SQL; onError(e: unknown): unknown } | null {
  if (items.length === 0) return null;
  const chains = [...new Set(items.map((i) => chainOf(i.entry.regionCode)))].sort();
  const guesses = new Map<string, Head>();
  for (const chain of chains) {
    const g = opts.heads.get(chain);
    if (!g) return null;
    guesses.set(chain, g);
  }
  const batch = chainBatch(items, chains, guesses);
  for (const h of batch.heads) opts.heads.set(h.chain, { seq: h.seq, hash: h.hash });
  const expected = chains.map((chain) => ({ chain, ...guesses.get(chain)! }));
  // `matched` reads `locked` whole before anything is written; the failing cast depends on row data,
  // so it is evaluated at run time only when a guess is wrong (a constant would fail at planning).
  const statement = sql`
    with ${opts.alongside ? sql`${opts.alongside},` : sql``}
    locked as (
      select chain, seq, hash from audit_heads
       where chain in (select jsonb_array_elements_text(${JSON.stringify(chains)}::jsonb))
       order by chain collate "C"
         for update
    ), matched as (
      select count(*) = ${chains.length} as ok
        from locked l
        join jsonb_to_recordset(${JSON.stringify(expected)}::jsonb) as e(chain text, seq bigint, hash text)
          on e.chain = l.chain and e.seq = l.seq and e.hash = l.hash
    ), appended as (
      insert into audit_log (${auditLogColumns})
      ${recordsSource(batch.rows)}
       where (select ok from matched)
      returning 1
    ), moved as (
      update audit_heads h
         set seq = n.seq, hash = n.hash, updated_at = n.updated_at
        from jsonb_to_recordset(${JSON.stringify(batch.heads)}::jsonb)
             as n(chain text, seq bigint, hash text, updated_at timestamptz)
       where h.chain = n.chain and (select ok from matched)
      returning 1
    )
    select case when m.ok then 0 else (${`${HEADS_MOVED}: `} || ${chains.join(',')} || m.ok::text)::int end as moved
      from matched m`;
  return {
    statement,
    onError(e) {
      if (!isHeadsMoved(e)) return e;
      for (const chain of chains) opts.heads.forget(chain);
      return new ChainHeadsMoved(e);
    },
  };
}
