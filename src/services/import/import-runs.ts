/**
 * Progress of `roadcert import` per file, in `import_runs`, keyed by the SM3 digest of the file's
 * bytes (a renamed copy is the same import; an edited file is a new one).
 *
 * Status: running → completed; failed when the platform failed mid-way; abandoned when an
 * operator restarted the file with --restart. A run killed outright stays `running`: the next
 * import of the same file takes over any run that is not completed.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../store/db.ts';
import { importRuns, intakeRecords } from '../../store/schema.ts';
import type { IntakeError, IntakeStatus } from '../intake/types.ts';

export type ImportRun = typeof importRuns.$inferSelect;

/** SM3 (GB/T 32905) of a file, streamed. */
export async function fileDigest(filePath: string): Promise<string> {
  const hash = createHash('sm3');
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The run to carry on with: the latest unfinished run of the same file, unless `restart`
 * (which abandons it); otherwise a new run. A completed file imported again is a new run
 * whose rows all answer `duplicate`.
 */
export async function openImportRun(
  db: Db,
  opts: { fileName: string; fileDigest: string; totalRows: number; restart: boolean; now: Date },
): Promise<{ run: ImportRun; resumed: boolean }> {
  return db.transaction(async (tx) => {
    // At most one run per file is unfinished: a new one is only made when none is, or after
    // --restart has abandoned it.
    const [unfinished] = await tx
      .select()
      .from(importRuns)
      .where(
        and(eq(importRuns.fileDigest, opts.fileDigest), inArray(importRuns.status, ['running', 'failed'])),
      )
      .orderBy(desc(importRuns.startedAt))
      .limit(1);
    if (unfinished && !opts.restart) {
      const [run] = await tx
        .update(importRuns)
        .set({ status: 'running', fileName: opts.fileName, totalRows: opts.totalRows, finishedAt: null })
        .where(eq(importRuns.id, unfinished.id))
        .returning();
      return { run: run!, resumed: true };
    }
    if (opts.restart) {
      await tx
        .update(importRuns)
        .set({ status: 'abandoned', finishedAt: opts.now })
        .where(
          and(eq(importRuns.fileDigest, opts.fileDigest), inArray(importRuns.status, ['running', 'failed'])),
        );
    }
    const [run] = await tx
      .insert(importRuns)
      .values({
        fileName: opts.fileName,
        fileDigest: opts.fileDigest,
        totalRows: opts.totalRows,
        processedRows: 0,
        status: 'running',
        startedAt: opts.now,
      })
      .returning();
    return { run: run!, resumed: false };
  });
}

export async function recordProgress(db: Db, runId: string, processedRows: number): Promise<void> {
  await db.update(importRuns).set({ processedRows }).where(eq(importRuns.id, runId));
}

export async function finishImportRun(
  db: Db,
  runId: string,
  status: 'completed' | 'failed',
  at: Date,
): Promise<void> {
  await db.update(importRuns).set({ status, finishedAt: at }).where(eq(importRuns.id, runId));
}

export interface EarlierOutcome {
  status: Exclude<IntakeStatus, 'duplicate' | 'rejected'>;
  identifier?: string;
  errors?: IntakeError[];
}

/**
 * What an earlier attempt of this run made of these records: intake rows written under the
 * run's own client id (`import:<runId>`). Rows it rejected left nothing and are simply sent again.
 */
export async function earlierOutcomes(
  db: Db,
  clientId: string,
  pairs: readonly { sourceRecordId: string; sourceVersion: number }[],
): Promise<Map<string, EarlierOutcome>> {
  const out = new Map<string, EarlierOutcome>();
  if (pairs.length === 0) return out;
  const ids = [...new Set(pairs.map((p) => p.sourceRecordId))];
  const rows = await db
    .select({
      sourceRecordId: intakeRecords.sourceRecordId,
      sourceVersion: intakeRecords.sourceVersion,
      status: intakeRecords.status,
      identifier: intakeRecords.identifier,
      errors: intakeRecords.errors,
    })
    .from(intakeRecords)
    .where(and(eq(intakeRecords.clientId, clientId), inArray(intakeRecords.sourceRecordId, ids)));
  for (const r of rows) {
    out.set(pairKey(r.sourceRecordId, r.sourceVersion), {
      status: r.status,
      ...(r.identifier ? { identifier: r.identifier } : {}),
      ...(r.errors ? { errors: r.errors as IntakeError[] } : {}),
    });
  }
  return out;
}

export const pairKey = (sourceRecordId: string, sourceVersion: number) =>
  `${sourceVersion}:${sourceRecordId}`;
