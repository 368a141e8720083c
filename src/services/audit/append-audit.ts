import canonicalize from 'canonicalize';
import { type SQL, sql } from 'drizzle-orm';
import { sm3Hex } from '../../crypto/sm3.ts';
import { insertRows } from '../../store/bulk-insert.ts';
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
  const canonical = canonicalize({ ...f, at: f.at.toISOString() });
  if (canonical === undefined) throw new Error('audit record cannot be canonicalized');
  return sm3Hex(canonical);
}

type AuditMeta = { at: Date; requestId?: string | undefined };

/** Locks a chain and reads its head, as two statements (see appendAudit for why). */
async function lockChainHead(tx: Db, chain: string): Promise<{ seq: number; hash: string }> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`audit:${chain}`}))`);
  const res = (await tx.execute(
    sql`select (select json_build_object('seq', h.seq, 'hash', h.hash) from audit_heads h where h.chain = ${chain}) as head`,
  )) as unknown as { rows: { head: { seq: number | string; hash: string } | string | null }[] };
  const raw = res.rows[0]?.head ?? null;
  const head = typeof raw === 'string' ? (JSON.parse(raw) as { seq: number; hash: string }) : raw;
  return head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: GENESIS_HASH };
}

/** A record's row for the multi-row inserts, in audit_log's column names. */
function auditRow(fields: HashedFields, hash: string) {
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
    await insertRows(
      tx,
      'audit_log',
      {
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
      },
      rows,
    );
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

/**
 * Appends records of several actors at once, in their order, with a fixed number of round trips
 * however many records and chains: the chains' locks in one statement (taken in sorted order, like
 * appendAuditMany, so batch writers cannot deadlock each other), their heads in a second (a
 * separate statement for the reason given in appendAudit), and every record with the new heads in
 * a third. The trail is exactly what appending the records one by one would give.
 *
 * `alongside` (data-modifying CTEs, `name as (…), …`, built from code only) rides in the lock's
 * statement: the caller's own writes of the same transaction, without a round trip of their own.
 */
export async function appendAuditBatch(
  tx: Db,
  items: readonly AuditBatchItem[],
  opts: { alongside?: SQL } = {},
): Promise<void> {
  if (items.length === 0) {
    if (opts.alongside) await tx.execute(sql`with ${opts.alongside} select 1`);
    return;
  }
  const chains = [...new Set(items.map((i) => chainOf(i.entry.regionCode)))].sort();
  const keys = JSON.stringify(chains.map((c) => `audit:${c}`));
  // OFFSET 0 keeps the ordered subquery from being flattened, so the locks are taken in its order.
  await tx.execute(sql`
    ${opts.alongside ? sql`with ${opts.alongside}` : sql``}
    select count(pg_advisory_xact_lock(hashtext(k)))
      from (select k from jsonb_array_elements_text(${keys}::jsonb) with ordinality as t(k, i) order by i offset 0) s`);
  const res = (await tx.execute(
    sql`select chain, seq, hash from audit_heads where chain in (select jsonb_array_elements_text(${JSON.stringify(chains)}::jsonb))`,
  )) as unknown as { rows: { chain: string; seq: number | string; hash: string }[] };
  const heads = new Map<string, { seq: number; hash: string; at: Date }>();
  for (const r of res.rows) heads.set(r.chain, { seq: Number(r.seq), hash: r.hash, at: new Date(0) });
  const rows = items.map(({ actor, entry, meta }) => {
    const chain = chainOf(entry.regionCode);
    const prev = heads.get(chain) ?? { seq: 0, hash: GENESIS_HASH, at: new Date(0) };
    const fields = nextFields(actor, entry, meta, chain, prev);
    const hash = auditHash(fields);
    heads.set(chain, { seq: fields.seq, hash, at: meta.at });
    return auditRow(fields, hash);
  });
  const newHeads = chains.map((chain) => {
    const h = heads.get(chain)!;
    return { chain, seq: h.seq, hash: h.hash, updated_at: h.at };
  });
  await tx.execute(sql`
    with appended as (
      insert into audit_log (chain, seq, at, actor_type, actor_id, actor_role, actor_region, action, target_type,
                             target_id, region_code, request_id, outcome, details, prev_hash, hash)
      select chain, seq, at, actor_type, actor_id, actor_role, actor_region, action, target_type,
             target_id, region_code, request_id, outcome, details, prev_hash, hash
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
             as x(chain text, seq bigint, at timestamptz, actor_type text, actor_id text, actor_role text,
                  actor_region text, action text, target_type text, target_id text, region_code text,
                  request_id text, outcome text, details jsonb, prev_hash text, hash text)
      returning 1
    )
    insert into audit_heads (chain, seq, hash, updated_at)
    select chain, seq, hash, updated_at
      from jsonb_to_recordset(${JSON.stringify(newHeads)}::jsonb)
           as h(chain text, seq bigint, hash text, updated_at timestamptz)
    on conflict (chain) do update set seq = excluded.seq, hash = excluded.hash, updated_at = excluded.updated_at`);
}
