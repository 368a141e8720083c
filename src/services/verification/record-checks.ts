import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { CertificateStatus } from '../../domain/lifecycle.ts';
import type { Db } from '../../store/db.ts';
import {
  type AuditBatchItem,
  appendAuditBatch,
  ChainHeads,
  ChainHeadsMoved,
  guessedAppend,
  isHeadsMoved,
} from '../audit/append-audit.ts';
import type { Actor } from '../context.ts';
import type { VerificationReason } from './verify-code.ts';

/** What a scanned code says before the store is asked: its kind, a refusal, or what to look up. */
export interface ScannedCode {
  codeType: 'token' | 'document' | 'unknown';
  /** A refusal found from the code alone (structure, seal, signature); then nothing is looked up. */
  reason: VerificationReason | null;
  identifier: string | null;
  /** A token's nonce, spent by the first check that gets this far. */
  nonce?: { nonce: string; expiresAt: Date };
  /** A token past its expiry at the time of the check. */
  expired?: boolean;
  /** A document QR's digest of the signed data, matched against the stored one. */
  digest?: string;
}

/** One check to record: who, when, where, and the scanned code. */
export interface PendingCheck {
  id: string;
  actor: Actor;
  officerId: string;
  place: string | null;
  /** When the check was made (an offline check's own time). */
  at: Date;
  /** When the platform recorded it (the audit time). */
  recordedAt: Date;
  requestId?: string | undefined;
  offline: boolean;
  scanned: ScannedCode;
}

/** The certificate columns a check needs (no holder, no signature). */
export interface CheckedCertificate {
  identifier: string;
  version: number;
  regionCode: string;
  kindCode: string;
  status: CertificateStatus;
  certificateNumber: string;
  issueDate: string;
  validFrom: string | null;
  validTo: string | null;
  nextIdentifier: string | null;
  signedDataDigest: string;
  signedDataEnc: string;
}

export interface RecordedCheck {
  reason: VerificationReason | null;
  /** Whether the officer may see the certificate (not for a replayed or stale token). */
  shown: boolean;
  certificate: CheckedCertificate | null;
}

const statusReasons: Partial<Record<CertificateStatus, VerificationReason>> = {
  superseded: 'SUPERSEDED',
  revoked: 'REVOKED',
  suspended: 'SUSPENDED',
  expired: 'EXPIRED',
};

type RawCertificate = {
  identifier: string;
  version: number | string;
  region_code: string;
  kind_code: string;
  status: string;
  certificate_number: string;
  issue_date: string;
  valid_from: string | null;
  valid_to: string | null;
  next_identifier: string | null;
  signed_data_digest: string;
  signed_data_enc: string;
};

/**
 * Records checks in ONE transaction, whatever their number, in two steps: the certificates and the
 * spending of the nonces in one statement (single use holds across concurrent transactions and API
 * nodes: a nonce another transaction spent first conflicts and is refused as reused); then the
 * audit records appended to their region chains in order (appendAuditBatch), with the
 * verifications and usage events riding in its statement. Nothing is recorded unless all of it
 * commits, and the results are only returned after the commit. Checks in a batch are judged in
 * their order: of two checks of one token, the first spends the nonce.
 *
 * With `heads` (the batcher's guessed chain heads, see ChainHeads) on PostgreSQL the transaction
 * is two round trips: `begin` goes with the first statement, and `commit` with the append on the
 * guessed heads (guessedAppend), which is sent without waiting for the batch before it to commit:
 * it waits at the head rows inside PostgreSQL instead, so a region chain is held locked for one
 * statement and a commit, with no round trip to this process in between. If a guess is wrong only
 * the append is undone (a savepoint): it is sent once more after the batch before it has finished,
 * then appended under the chains' locks. Elsewhere (PGlite, or no `heads`) the steps are separate
 * statements of a drizzle transaction, and a wrong guess fails it with ChainHeadsMoved (retry it).
 */
export async function recordChecks(
  db: Db,
  checks: readonly PendingCheck[],
  opts: { heads?: ChainHeads } = {},
): Promise<RecordedCheck[]> {
  const pool = opts.heads ? poolOf(db) : null;
  if (pool && opts.heads) return recordOnPool(pool, checks, opts.heads);
  return db.transaction(async (tx) => {
    const lookup = lookupStatement(checks);
    const found = lookup
      ? ((await tx.execute(lookup.statement)) as unknown as { rows: LookupRow[] }).rows
      : [];
    const judged = judge(checks, lookup, found);
    await appendAuditBatch(tx, judged.audit, {
      alongside: judged.alongside,
      ...(opts.heads ? { heads: opts.heads } : {}),
    });
    return judged.results;
  });
}

/** The PostgreSQL pool behind a store handle (not a transaction's), or null (PGlite). */
function poolOf(db: Db): pg.Pool | null {
  const client = (db as unknown as { $client?: unknown }).$client;
  return client instanceof pg.Pool ? client : null;
}

const dialect = new PgDialect();

/**
 * A statement as text with its parameters written as literals, so that several statements go in
 * one simple-protocol message. Parameters here are strings (JSON) and numbers made by this module.
 */
function inline(statement: SQL): string {
  const { sql: text, params } = dialect.sqlToQuery(statement);
  return text.replace(/\$(\d+)\b/g, (_, n: string) => {
    const value = params[Number(n) - 1];
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'string') {
      // Without a backslash, doubling the quotes is the whole escape (pg's escapeLiteral walks every
      // character, a cost on the large JSON parameters here).
      return value.includes('\\') ? pg.escapeLiteral(value) : `'${value.replaceAll("'", "''")}'`;
    }
    throw new Error(`recordChecks: cannot inline a ${typeof value} parameter`);
  });
}

/** A drizzle handle over one pooled connection, for the statements sent one at a time. */
const onConnection = new WeakMap<pg.PoolClient, Db>();
function dbOn(client: pg.PoolClient): Db {
  let db = onConnection.get(client);
  if (!db) {
    db = drizzlePg(client) as unknown as Db;
    onConnection.set(client, db);
  }
  return db;
}

async function recordOnPool(
  pool: pg.Pool,
  checks: readonly PendingCheck[],
  heads: ChainHeads,
): Promise<RecordedCheck[]> {
  const client = await pool.connect();
  let broken = false;
  try {
    const lookup = lookupStatement(checks);
    let found: LookupRow[] = [];
    if (lookup) {
      const res = (await client.query(`begin; ${inline(lookup.statement)}`)) as unknown as pg.QueryResult[];
      found = res[1]!.rows as LookupRow[];
    } else {
      await client.query('begin');
    }
    const judged = judge(checks, lookup, found);
    // Built on the guesses at once, so the next batch can be judged and built meanwhile, but sent
    // only when the previous guessed append has finished: sent together, the later one's backend
    // often reached the head rows first, found its base not yet written and had to be sent again
    // (misses seen in every load run, each a resend and a wait behind the flush before it).
    const guessed = guessedAppend(judged.audit, { heads, alongside: judged.alongside });
    if (guessed) {
      const text = `savepoint guessed; ${inline(guessed.statement)}; release guessed; commit`;
      const turn = heads.sending();
      try {
        await turn.previous;
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(text);
            return judged.results;
          } catch (e) {
            if (!isHeadsMoved(e)) throw e;
            // Undo the append only. The first time, the batch it was built on may not have reached
            // the head rows yet (its backend got the CPU later): once that one has finished, the
            // same statement matches if it committed. Otherwise another writer moved a chain (or
            // the base rolled back): append under the locks.
            await client.query('rollback to savepoint guessed');
            if (attempt > 1) break;
            await turn.previous;
          }
        }
      } finally {
        turn.done();
      }
    }
    await appendAuditBatch(dbOn(client), judged.audit, {
      alongside: judged.alongside,
      heads,
      underLocks: true,
    });
    await client.query('commit');
    return judged.results;
  } catch (e) {
    // After a failed statement the transaction is aborted (or already ended): roll it back.
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw e;
  } finally {
    client.release(broken);
  }
}

type LookupRow = RawCertificate & { spent: string[] | string | null };

/**
 * The certificates and the spending of their tokens' nonces in one statement: a nonce is only
 * spent for a certificate that exists. `spender`: the check that spends each nonce.
 */
function lookupStatement(
  checks: readonly PendingCheck[],
): { statement: SQL; spender: Map<string, number> } | null {
  const wanted = [...new Set(checks.flatMap((c) => (c.scanned.identifier ? [c.scanned.identifier] : [])))];
  // Nonces to spend: a live token's, once per batch (the first check of a token); a later check
  // of the same token in the batch is a reuse. Sorted, so concurrent inserts cannot deadlock.
  const spender = new Map<string, number>();
  const nonceRows: { nonce: string; identifier: string; expires_at: Date; used_at: Date }[] = [];
  checks.forEach((c, i) => {
    const s = c.scanned;
    if (!s.nonce || s.reason !== null || !s.identifier || s.expired || spender.has(s.nonce.nonce)) return;
    spender.set(s.nonce.nonce, i);
    nonceRows.push({
      nonce: s.nonce.nonce,
      identifier: s.identifier,
      expires_at: s.nonce.expiresAt,
      used_at: c.at,
    });
  });
  if (wanted.length === 0) return null;
  nonceRows.sort((x, y) => (x.nonce < y.nonce ? -1 : x.nonce > y.nonce ? 1 : 0));
  const statement = sql`with c as (
        select identifier, version, region_code, kind_code, status, certificate_number, issue_date,
               valid_from, valid_to, next_identifier, signed_data_digest, signed_data_enc
          from certificates
         where identifier in (select jsonb_array_elements_text(${JSON.stringify(wanted)}::jsonb))
      ), spent as (
        insert into show_token_nonces (nonce, identifier, expires_at, used_at)
        select x.nonce, x.identifier, x.expires_at, x.used_at
          from jsonb_to_recordset(${JSON.stringify(nonceRows)}::jsonb)
               as x(nonce text, identifier text, expires_at timestamptz, used_at timestamptz)
         where x.identifier in (select identifier from c)
         order by x.nonce
        on conflict do nothing
        returning nonce
      )
      select c.*, (select json_agg(nonce) from spent) as spent from c`;
  return { statement, spender };
}

/** Each check judged in the order of a single check's tests, and what recording them writes. */
function judge(
  checks: readonly PendingCheck[],
  lookup: { spender: Map<string, number> } | null,
  raw: readonly LookupRow[],
): { results: RecordedCheck[]; audit: AuditBatchItem[]; alongside: SQL } {
  const spender = lookup?.spender ?? new Map<string, number>();
  const found = new Map<string, CheckedCertificate>();
  const spent = new Set<string>();
  for (const r of raw) {
    found.set(r.identifier, {
      identifier: r.identifier,
      version: Number(r.version),
      regionCode: r.region_code,
      kindCode: r.kind_code,
      status: r.status as CertificateStatus,
      certificateNumber: r.certificate_number,
      issueDate: r.issue_date,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      nextIdentifier: r.next_identifier,
      signedDataDigest: r.signed_data_digest,
      signedDataEnc: r.signed_data_enc,
    });
  }
  const list = raw[0]?.spent ?? null;
  for (const n of (typeof list === 'string' ? JSON.parse(list) : list) ?? []) spent.add(n as string);
  const judged = checks.map((c, i) => {
    const s = c.scanned;
    if (s.reason !== null || !s.identifier) return { reason: s.reason ?? 'MALFORMED', row: null };
    const row = found.get(s.identifier) ?? null;
    if (!row) return { reason: 'CERTIFICATE_UNKNOWN' as const, row: null };
    if (s.codeType === 'token' && s.expired) return { reason: 'TOKEN_EXPIRED' as const, row };
    if (s.codeType === 'document' && row.signedDataDigest.toLowerCase() !== s.digest?.toLowerCase()) {
      return { reason: 'DIGEST_MISMATCH' as const, row: null };
    }
    // Single use: only the check that spent the nonce passes; every other check of it is a reuse.
    if (s.nonce && (spender.get(s.nonce.nonce) !== i || !spent.has(s.nonce.nonce))) {
      return { reason: 'TOKEN_REUSED' as const, row };
    }
    return { reason: null, row };
  }) as { reason: VerificationReason | null; row: CheckedCertificate | null }[];

  const results: RecordedCheck[] = judged.map(({ reason, row }) => {
    const final = row && reason === null ? (statusReasons[row.status] ?? null) : reason;
    // A refused token shows nothing of the certificate: a replayed or stale code earns no data.
    const shown = row !== null && final !== 'TOKEN_REUSED' && final !== 'TOKEN_EXPIRED';
    return { reason: final, shown, certificate: row };
  });

  const verificationRows = checks.map((c, i) => {
    const r = results[i]!;
    return {
      id: c.id,
      officer_id: c.officerId,
      region_code: c.actor.regionCode,
      at: c.at,
      place: c.place,
      code_type: c.scanned.codeType,
      result: r.reason === null ? 'valid' : 'invalid',
      reason: r.reason,
      identifier: r.certificate?.identifier ?? null,
      certificate_region_code: r.certificate?.regionCode ?? null,
      kind_code: r.certificate?.kindCode ?? null,
    };
  });
  const usageRows = checks.flatMap((c, i) => {
    const r = results[i]!;
    return r.shown && r.certificate
      ? [
          {
            identifier: r.certificate.identifier,
            region_code: r.certificate.regionCode,
            kind_code: r.certificate.kindCode,
            event: 'verify',
            at: c.at,
            ref_id: c.id,
          },
        ]
      : [];
  });
  // The verifications and usage events ride in the audit lock's statement (no round trip of their own).
  const alongside = sql`
    usage as (
      insert into usage_events (identifier, region_code, kind_code, event, at, ref_id)
      select identifier, region_code, kind_code, event, at, ref_id
        from jsonb_to_recordset(${JSON.stringify(usageRows)}::jsonb)
             as u(identifier text, region_code text, kind_code text, event text, at timestamptz, ref_id text)
      returning 1
    ), checks as (
      insert into verifications (id, officer_id, region_code, at, place, code_type, result, reason, identifier,
                                 certificate_region_code, kind_code)
      select id, officer_id, region_code, at, place, code_type, result, reason, identifier,
             certificate_region_code, kind_code
        from jsonb_to_recordset(${JSON.stringify(verificationRows)}::jsonb)
             as v(id uuid, officer_id uuid, region_code text, at timestamptz, place text, code_type text,
                  result text, reason text, identifier text, certificate_region_code text, kind_code text)
      returning 1
    )`;
  const audit: AuditBatchItem[] = checks.map((c, i) => {
    const r = results[i]!;
    return {
      actor: c.actor,
      entry: {
        action: 'certificate.verify',
        regionCode: r.certificate?.regionCode ?? c.actor.regionCode,
        targetType: r.certificate ? 'certificate' : 'verification',
        targetId: r.certificate?.identifier ?? c.id,
        outcome: r.reason === null ? 'success' : 'failure',
        details: {
          verificationId: c.id,
          codeType: c.scanned.codeType,
          reason: r.reason,
          ...(c.offline ? { offline: true } : {}),
        },
      },
      meta: { at: c.recordedAt, requestId: c.requestId },
    };
  });
  return { results, audit, alongside };
}

/** Waiting checks of one store, flushed together by `CheckBatcher`. */
interface Waiting {
  check: PendingCheck;
  resolve(result: RecordedCheck): void;
  reject(error: unknown): void;
}

/** PostgreSQL's deadlock and serialization failures: the transaction rolled back whole, so retry. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/**
 * Group commit for online checks. A check waits in a queue; a flush records the queue with
 * `recordChecks` in one transaction and then answers every waiting request, each only after the
 * commit. With a flush slot free, the queue is flushed on the next turn of the event loop (no
 * timer: the checks that arrived in the same turn go together); while `maxInFlight` flushes run,
 * arrivals queue and go in the next one, so under load the batches grow with the rate and the
 * round trips per check fall, while a lone check pays no wait. Several flushes in flight overlap
 * their round trips; they meet only at the region chains' audit locks (taken in one order), each
 * built on the chain heads the one before it left (`ChainHeads`, one per batcher: per API node).
 * `maxBatch` bounds one transaction.
 */
export class CheckBatcher {
  readonly #db: Db;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  /** The audit chains' heads as this batcher's flushes left them (see ChainHeads). */
  readonly #heads = new ChainHeads();
  #queue: Waiting[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(db: Db, opts: { maxBatch?: number; maxInFlight?: number } = {}) {
    this.#db = db;
    this.#maxBatch = opts.maxBatch ?? 128;
    this.#maxInFlight = opts.maxInFlight ?? 3;
  }

  submit(check: PendingCheck): Promise<RecordedCheck> {
    return new Promise<RecordedCheck>((resolve, reject) => {
      this.#queue.push({ check, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#inFlight >= this.#maxInFlight || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#inFlight >= this.#maxInFlight || this.#queue.length === 0) return;
    this.#inFlight++;
    const batch = this.#queue.splice(0, this.#maxBatch);
    try {
      const results = await this.#record(batch.map((w) => w.check));
      batch.forEach((w, i) => {
        w.resolve(results[i]!);
      });
    } catch (e) {
      if (batch.length === 1) batch[0]!.reject(e);
      else {
        // One check's failure must not fail its neighbours: record each alone, so only it fails.
        for (const w of batch) {
          try {
            w.resolve((await this.#record([w.check]))[0]!);
          } catch (alone) {
            w.reject(alone);
          }
        }
      }
    } finally {
      this.#inFlight--;
      this.#schedule();
    }
  }

  async #record(checks: PendingCheck[]): Promise<RecordedCheck[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await recordChecks(this.#db, checks, { heads: this.#heads });
      } catch (e) {
        const err = e as { code?: unknown; cause?: { code?: unknown } };
        const code = err.code ?? err.cause?.code;
        const retryable = e instanceof ChainHeadsMoved || (typeof code === 'string' && RETRYABLE.has(code));
        if (attempt >= MAX_ATTEMPTS || !retryable) throw e;
      }
    }
  }
}

const batchers = new WeakMap<Db, CheckBatcher>();

/** The batcher of a store (one per database handle, so apps in one process never mix). */
export function checkBatcher(db: Db): CheckBatcher {
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = new CheckBatcher(db);
    batchers.set(db, batcher);
  }
  return batcher;
}
