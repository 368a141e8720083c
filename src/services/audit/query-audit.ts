import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { auditLog } from '../../store/schema.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { regionFilter, requirePermission, scopeFilter } from '../scope.ts';
import { auditActions } from './actions.ts';
import { appendAudit } from './append-audit.ts';
import { type AuditVerification, verifyAuditTrail } from './verify-audit.ts';

export interface AuditQuery {
  regionCode?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  actorId?: string;
  from?: string;
  to?: string;
  limit?: number;
  /** Keyset cursor: the id of the last record of the previous page. */
  before?: number;
}

export interface AuditRecordView {
  id: number;
  chain: string;
  seq: number;
  at: string;
  actorType: string;
  actorId: string | null;
  actorRole: string | null;
  actorRegion: string | null;
  action: string;
  actionName: string;
  targetType: string | null;
  targetId: string | null;
  regionCode: string;
  requestId: string | null;
  outcome: string;
  details: unknown;
  hash: string;
}

/** Audit records of the actor's subtree, newest first, paged by id. */
export async function listAudit(
  ctx: ServiceContext,
  actor: Actor,
  q: AuditQuery,
): Promise<{ items: AuditRecordView[]; nextBefore: number | null }> {
  requirePermission(actor, 'audit.read');
  const conditions: SQL[] = [scopeFilter(auditLog.regionCode, actor)];
  if (q.regionCode) conditions.push(regionFilter(auditLog.regionCode, q.regionCode));
  if (q.action) conditions.push(eq(auditLog.action, q.action));
  if (q.targetType) conditions.push(eq(auditLog.targetType, q.targetType));
  if (q.targetId) conditions.push(eq(auditLog.targetId, q.targetId));
  if (q.actorId) conditions.push(eq(auditLog.actorId, q.actorId));
  if (q.from) conditions.push(gte(auditLog.at, new Date(q.from)));
  if (q.to) conditions.push(lt(auditLog.at, new Date(q.to)));
  if (q.before) conditions.push(lt(auditLog.id, q.before));
  const limit = Math.min(q.limit ?? 50, 500);
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(limit);
  return {
    items: rows.map((r) => ({
      id: Number(r.id),
      chain: r.chain,
      seq: Number(r.seq),
      at: r.at.toISOString(),
      actorType: r.actorType,
      actorId: r.actorId,
      actorRole: r.actorRole,
      actorRegion: r.actorRegion,
      action: r.action,
      actionName: auditActions[r.action as keyof typeof auditActions] ?? r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      regionCode: r.regionCode,
      requestId: r.requestId,
      outcome: r.outcome,
      details: r.details,
      hash: r.hash,
    })),
    nextBefore: rows.length === limit ? Number(rows[rows.length - 1]!.id) : null,
  };
}

/** Verifies the whole trail (province-level accounts only) and records that it was checked. */
export async function verifyAudit(ctx: ServiceContext, actor: Actor): Promise<AuditVerification> {
  requirePermission(actor, 'audit.verify');
  if (actor.regionCode !== ctx.config.province.code) {
    throw new AppError('FORBIDDEN', '审计日志链校验覆盖全省，仅省级账户可执行');
  }
  const result = await verifyAuditTrail(ctx.db);
  const at = ctx.clock.now();
  await ctx.db.transaction((tx) =>
    appendAudit(
      tx,
      actor,
      {
        action: 'audit.verify',
        regionCode: ctx.config.province.code,
        outcome: result.ok ? 'success' : 'failure',
        details: { records: result.records, chains: result.chains.length, problems: result.problems.length },
      },
      { at, requestId: ctx.requestId },
    ),
  );
  return result;
}
