import { and, desc, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import { getRegion } from '../../domain/regions.ts';
import { isRoleId, roles } from '../../domain/roles.ts';
import { AppError } from '../../errors.ts';
import {
  certificates,
  clients,
  shareAccesses,
  staffUsers,
  usageEvents,
  verifications,
} from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import { kindName } from '../certificates/certificate-view.ts';
import type { ServiceContext } from '../context.ts';
import { fieldLabels, type ShareField } from '../sharing/shareable-fields.ts';
import type { UsageEventKind } from '../verification/usage-events.ts';
import type { HolderPrincipal } from './holder-session.ts';
import { recordHolderRead } from './policy.ts';

export interface UsageLogItem {
  id: string;
  at: string;
  event: UsageEventKind;
  identifier: string;
  kind: { code: string; name: string };
  /** An officer's check: who by role and agency (never the officer's name, phone or ID), where, what came out. */
  verification: {
    codeType: string;
    officerRole: string;
    agency: string;
    place: string | null;
    result: 'valid' | 'invalid';
    recognized: boolean | null;
    outcomeReason: string | null;
  } | null;
  share: {
    relyingParty: string;
    basis: 'consent' | 'duty' | 'code';
    purpose: string | null;
    fields: ShareField[];
  } | null;
}

const refUuid = sql`(case when ${usageEvents.refId} ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then ${usageEvents.refId}::uuid end)`;

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_(\d{1,19})$/;

function decodeCursor(cursor: string): { at: Date; id: number } {
  const m = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError('VALIDATION_FAILED', 'cursor 无效，请使用上一页返回的 nextCursor');
  return { at: new Date(m[1]!), id: Number(m[2]) };
}

function encodeCursor(at: Date, id: number): string {
  return Buffer.from(`${at.toISOString()}_${id}`, 'utf8').toString('base64url');
}

/**
 * The holder's usage log (使用记录): every show, officer verification, relying-party read and
 * download of the holder's certificates, newest first, a page at a time. `identifier` narrows it
 * to one licence (all its versions held by this holder). Rows of versions held by someone else
 * (before a transfer) never appear.
 */
export async function listUsage(
  ctx: ServiceContext,
  holder: HolderPrincipal,
  q: { identifier?: string | undefined; cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: UsageLogItem[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(q.limit ?? 20, 1), 100);
  const where: SQL[] = [eq(certificates.holderId, holder.holderId)];
  if (q.identifier) {
    const [own] = await ctx.db
      .select({ serial: certificates.serial })
      .from(certificates)
      .where(and(eq(certificates.identifier, q.identifier), eq(certificates.holderId, holder.holderId)));
    if (!own) throw new AppError('NOT_FOUND', '电子证照不存在');
    where.push(eq(certificates.serial, own.serial));
  }
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(or(lt(usageEvents.at, c.at), and(eq(usageEvents.at, c.at), lt(usageEvents.id, c.id)))!);
  }
  const rows = await ctx.db
    .select({
      id: usageEvents.id,
      at: usageEvents.at,
      event: usageEvents.event,
      identifier: usageEvents.identifier,
      kindCode: usageEvents.kindCode,
      v: {
        codeType: verifications.codeType,
        regionCode: verifications.regionCode,
        place: verifications.place,
        result: verifications.result,
        recognized: verifications.recognized,
        outcomeReason: verifications.outcomeReason,
      },
      officer: { role: staffUsers.role, department: staffUsers.department },
      a: {
        basis: shareAccesses.basis,
        purpose: shareAccesses.purpose,
        fields: shareAccesses.fields,
        kindCode: shareAccesses.kindCode,
      },
      partyName: clients.name,
    })
    .from(usageEvents)
    .innerJoin(certificates, eq(certificates.identifier, usageEvents.identifier))
    // Compared as uuid so the primary keys serve the join; a ref that is not a uuid matches nothing.
    .leftJoin(verifications, and(eq(usageEvents.event, 'verify'), sql`${verifications.id} = ${refUuid}`))
    .leftJoin(staffUsers, eq(staffUsers.id, verifications.officerId))
    .leftJoin(shareAccesses, and(eq(usageEvents.event, 'share'), sql`${shareAccesses.id} = ${refUuid}`))
    .leftJoin(clients, eq(clients.id, shareAccesses.clientId))
    .where(and(...where))
    .orderBy(desc(usageEvents.at), desc(usageEvents.id))
    .limit(limit + 1);

  await recordHolderRead(ctx, holder.holderId, { what: 'usage', count: Math.min(rows.length, limit) });
  const catalog = (await currentCatalog(ctx.db)).content;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: String(r.id),
      at: r.at.toISOString(),
      event: r.event as UsageEventKind,
      identifier: r.identifier,
      kind: { code: r.kindCode, name: kindName(catalog, r.kindCode) },
      verification:
        r.event === 'verify' && r.v?.result
          ? {
              codeType: r.v.codeType,
              officerRole:
                r.officer?.role && isRoleId(r.officer.role) ? roles[r.officer.role].name : '查验人员',
              agency: r.officer?.department ?? getRegion(r.v.regionCode)?.fullName ?? r.v.regionCode,
              place: r.v.place,
              result: r.v.result as 'valid' | 'invalid',
              recognized: r.v.recognized,
              outcomeReason: r.v.outcomeReason,
            }
          : null,
      share:
        r.event === 'share' && r.a?.basis
          ? {
              relyingParty: r.partyName ?? '用证方',
              basis: r.a.basis as 'consent' | 'duty' | 'code',
              purpose: r.a.purpose,
              fields: fieldLabels(
                catalog,
                [r.a.kindCode ?? r.kindCode],
                (r.a.fields as string[] | null) ?? [],
              ),
            }
          : null,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null,
  };
}
