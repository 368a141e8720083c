import { and, desc, eq, sql } from 'drizzle-orm';
import { getKind } from '../../domain/catalog/index.ts';
import { todayInChina } from '../../domain/dates.ts';
import { formatIdentifier, formatSerial, parseIdentifier } from '../../domain/identifiers.ts';
import {
  certificateStatusOf,
  dataEvents,
  eventNames,
  type IntakeEvent,
  type LicenceState,
  planTransition,
} from '../../domain/lifecycle.ts';
import { validateRecord } from '../../domain/rules/index.ts';
import type { IntakeRecord } from '../../domain/rules/types.ts';
import type { Db } from '../../store/db.ts';
import {
  certificateEvents,
  certificates,
  intakeRecords,
  licences,
  nonstandardItems,
  outbox,
} from '../../store/schema.ts';
import { nextCertificateSerial } from '../../store/serials.ts';
import type { AuditAction } from '../audit/actions.ts';
import { type AuditEntry, appendAudit } from '../audit/append-audit.ts';
import { lockCatalogVersion } from '../catalog/catalog-versions.ts';
import { upsertHolder } from '../holders/upsert-holder.ts';
import { buildAssertion, sealAssertion } from '../issuance/seal-certificate.ts';
import { checkEnvelope } from './check-envelope.ts';
import type { IntakeContext, IntakeEnvelope, IntakeError, IntakeResult, IntakeSource } from './types.ts';

/** The parts of a licence row that intake decisions read. */
interface Licence {
  state: string;
  kindCode: string;
  regionCode: string;
  holderId: string;
  serial: string | null;
  currentIdentifier: string | null;
}

interface Held {
  openItems: number;
  seen: {
    id: number;
    status: 'issued' | 'updated' | 'recorded' | 'nonstandard';
    identifier: string | null;
    errors: IntakeError[] | null;
  } | null;
  latest: number | null;
  licence: Licence | undefined;
}

/**
 * The per-licence lock every writer of a licence takes first (intake, expiry, resubmission of a
 * corrected item), so they queue instead of racing; transaction-scoped, so commit releases it.
 */
export async function lockLicence(tx: Db, sourceRecordId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`licence:${sourceRecordId}`}))`);
}

/**
 * Takes the licence lock, then reads what the platform holds for the licence in one round trip.
 * Two statements on purpose: under READ COMMITTED a statement sees the data as of its start, so a
 * read inside the locking statement could miss what the previous lock holder committed.
 */
async function lockAndReadHeld(tx: Db, sourceRecordId: string, sourceVersion: number): Promise<Held> {
  await lockLicence(tx, sourceRecordId);
  const res = (await tx.execute(sql`
    select
      (select count(*)::int from nonstandard_items n where n.source_record_id = ${sourceRecordId} and n.status = 'open') as open_items,
      (select json_build_object('id', i.id, 'status', i.status, 'identifier', i.identifier, 'errors', i.errors)
         from intake_records i where i.source_record_id = ${sourceRecordId} and i.source_version = ${sourceVersion}) as seen,
      (select max(i.source_version) from intake_records i where i.source_record_id = ${sourceRecordId}) as latest,
      (select json_build_object('state', l.state, 'kindCode', l.kind_code, 'regionCode', l.region_code,
              'holderId', l.holder_id, 'serial', l.serial, 'currentIdentifier', l.current_identifier)
         from licences l where l.source_record_id = ${sourceRecordId}) as licence`)) as unknown as {
    rows: {
      open_items: number | string;
      seen: Held['seen'] | string | null;
      latest: number | string | null;
      licence: Licence | string | null;
    }[];
  };
  const row = res.rows[0]!;
  // node-postgres parses json columns; PGlite may hand them back as text.
  const json = <T>(v: T | string | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  return {
    openItems: Number(row.open_items),
    seen: json(row.seen),
    latest: row.latest === null ? null : Number(row.latest),
    licence: json(row.licence) ?? undefined,
  };
}

export interface ProcessOptions {
  /**
   * A corrected non-standard item being submitted again by staff: its own sourceRecordId +
   * sourceVersion is not a duplicate, and the item is resolved (or updated) instead of replaced.
   */
  resubmitItemId?: string;
}

const rejected = (raw: unknown, errors: IntakeError[]): IntakeResult => {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    sourceRecordId: typeof r.sourceRecordId === 'string' ? r.sourceRecordId.slice(0, 64) : null,
    sourceVersion:
      typeof r.sourceVersion === 'number' && Number.isInteger(r.sourceVersion) ? r.sourceVersion : null,
    status: 'rejected',
    errors,
  };
};

/**
 * One intake record in its own transaction (R-5.2, R-6.1, R-6.2): idempotent on
 * sourceRecordId + sourceVersion, ordered by sourceVersion, guarded by the lifecycle table,
 * checked against the catalog's standard rules, sealed when valid, kept for correction when not.
 * Never throws for a bad record; a failure of the platform itself (database, signer) propagates.
 */
export async function processRecord(
  ctx: IntakeContext,
  source: IntakeSource,
  raw: unknown,
  opts: ProcessOptions = {},
): Promise<IntakeResult> {
  const checked = checkEnvelope(raw, { catalog: ctx.catalog.content, sourceRegionCode: source.regionCode });
  if (!checked.ok) return rejected(raw, checked.errors);
  const env = checked.envelope;
  const record = raw as IntakeRecord & Record<string, unknown>;
  const now = ctx.clock.now();

  // Data events are checked before taking any lock: the rules are pure and the slowest part.
  const issues = dataEvents.has(env.event)
    ? validateRecord(record, {
        catalog: ctx.catalog.content,
        provinceCode: ctx.config.province.code,
        today: todayInChina(now),
      })
    : [];

  let sealed = false;
  const result = await ctx.db.transaction(async (tx): Promise<IntakeResult> => {
    // One licence at a time (concurrent pushes of the same sourceRecordId queue on its lock), and
    // what the platform holds for it: this record version (idempotency), the newest version
    // received (ordering), the licence, and whether non-standard items are open.
    const held = await lockAndReadHeld(tx, env.sourceRecordId, env.sourceVersion);
    const seen = held.seen;
    const resubmit = opts.resubmitItemId !== undefined && seen?.status === 'nonstandard';
    if (seen && !resubmit) {
      return {
        sourceRecordId: env.sourceRecordId,
        sourceVersion: env.sourceVersion,
        status: 'duplicate',
        originalStatus: seen.status,
        ...(seen.identifier ? { identifier: seen.identifier } : {}),
        ...(seen.errors ? { errors: seen.errors } : {}),
      };
    }
    if (held.latest !== null && env.sourceVersion < held.latest) {
      return rejected(raw, [
        {
          field: 'sourceVersion',
          code: 'VERSION_OUTDATED',
          message: `源记录版本 ${env.sourceVersion} 早于平台已接收的版本 ${held.latest}，未处理`,
        },
      ]);
    }
    const licence = held.licence;
    const state: LicenceState = (licence?.state as LicenceState | undefined) ?? 'none';
    if (licence && licence.kindCode !== env.kind) {
      return rejected(raw, [
        { field: 'kind', code: 'KIND_MISMATCH', message: '证照类型与该源记录已归集的证照类型不一致' },
      ]);
    }
    if (licence && licence.regionCode !== env.regionCode) {
      return rejected(raw, [
        {
          field: 'regionCode',
          code: 'REGION_MISMATCH',
          message: `该源记录属于区划 ${licence.regionCode}，不能改由 ${env.regionCode} 推送`,
        },
      ]);
    }
    const plan = planTransition(state, env.event);
    if (!plan.ok)
      return rejected(raw, [{ field: 'event', code: 'LIFECYCLE_INVALID', message: plan.message }]);

    const meta = { at: now, requestId: ctx.requestId };
    const eventDate = typeof record.issueDate === 'string' ? record.issueDate.slice(0, 10) : null;
    const logIntake = async (
      status: 'issued' | 'updated' | 'recorded' | 'nonstandard',
      identifier?: string,
      errors?: IntakeError[],
    ) => {
      if (resubmit) {
        await tx
          .update(intakeRecords)
          .set({ status, identifier: identifier ?? null, errors: errors ?? null, eventDate })
          .where(eq(intakeRecords.id, seen!.id));
        return;
      }
      await tx.insert(intakeRecords).values({
        sourceRecordId: env.sourceRecordId,
        sourceVersion: env.sourceVersion,
        clientId: source.clientId,
        event: env.event,
        kindCode: env.kind,
        regionCode: env.regionCode,
        status,
        identifier: identifier ?? null,
        errors: errors ?? null,
        eventDate,
        receivedAt: now,
      });
    };

    /** Open non-standard items of this licence are outdated by a newer push or an applied change. */
    const replaceOpenItems = () =>
      tx
        .update(nonstandardItems)
        .set({ status: 'replaced', updatedAt: now })
        .where(
          and(eq(nonstandardItems.sourceRecordId, env.sourceRecordId), eq(nonstandardItems.status, 'open')),
        );

    if (issues.length && resubmit) {
      // Still not standard after correction: the same item stays open with the new findings.
      await tx
        .update(nonstandardItems)
        .set({
          recordEnc: ctx.vault.seal('nonstandard.record', JSON.stringify(raw)),
          errors: issues,
          updatedAt: now,
        })
        .where(eq(nonstandardItems.id, opts.resubmitItemId!));
      await logIntake('nonstandard', undefined, issues);
      return {
        sourceRecordId: env.sourceRecordId,
        sourceVersion: env.sourceVersion,
        status: 'nonstandard',
        errors: issues,
      };
    }
    if (issues.length) {
      // Non-standard: kept unsealed, in its region, until corrected (a newer push replaces it).
      if (held.openItems > 0) await replaceOpenItems();
      const [item] = await tx
        .insert(nonstandardItems)
        .values({
          sourceRecordId: env.sourceRecordId,
          sourceVersion: env.sourceVersion,
          clientId: source.clientId,
          event: env.event,
          kindCode: env.kind,
          regionCode: env.regionCode,
          recordEnc: ctx.vault.seal('nonstandard.record', JSON.stringify(raw)),
          errors: issues,
          status: 'open',
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: nonstandardItems.id });
      await logIntake('nonstandard', undefined, issues);
      await appendAudit(
        tx,
        source.actor,
        {
          action: 'intake.nonstandard',
          regionCode: env.regionCode,
          targetType: 'nonstandard_item',
          targetId: item!.id,
          details: {
            sourceRecordId: env.sourceRecordId,
            sourceVersion: env.sourceVersion,
            codes: [...new Set(issues.map((i) => i.code))],
          },
        },
        meta,
      );
      return {
        sourceRecordId: env.sourceRecordId,
        sourceVersion: env.sourceVersion,
        status: 'nonstandard',
        errors: issues,
      };
    }

    const applied = await applyTransition(tx, ctx, source, env, record, licence, state, plan.transition, now);
    sealed = applied.sealed === true;
    if (resubmit) {
      await tx
        .update(nonstandardItems)
        .set({
          status: 'resolved',
          recordEnc: ctx.vault.seal('nonstandard.record', JSON.stringify(raw)),
          errors: [],
          identifier: applied.identifier ?? null,
          resolvedAt: now,
          resolvedBy: source.actor.id,
          updatedAt: now,
        })
        .where(eq(nonstandardItems.id, opts.resubmitItemId!));
    }
    // Any other open item of this licence is outdated by what was just applied.
    if (held.openItems > (resubmit ? 1 : 0)) await replaceOpenItems();
    await logIntake(applied.status, applied.identifier);
    await appendAudit(tx, source.actor, applied.audit, meta);
    return {
      sourceRecordId: env.sourceRecordId,
      sourceVersion: env.sourceVersion,
      status: applied.status,
      ...(applied.identifier ? { identifier: applied.identifier } : {}),
    };
  });
  // The catalog version is locked by the first certificate sealed under it; once that committed,
  // later records of the batch need not try again.
  if (sealed) ctx.catalog.locked = true;
  return result;
}

type StatusEvent = 'suspend' | 'resume' | 'revoke' | 'expire';
const statusAuditAction = {
  suspend: 'certificate.suspend',
  resume: 'certificate.resume',
  revoke: 'certificate.revoke',
  expire: 'certificate.expire',
} as const satisfies Record<StatusEvent, AuditAction>;

interface Applied {
  status: 'issued' | 'updated' | 'recorded';
  identifier?: string;
  /** Appended last, just before commit: the region's audit chain stays locked only briefly. */
  audit: AuditEntry;
  /** A certificate version was sealed (and the catalog version locked). */
  sealed?: boolean;
}

const deliveryTitles: Partial<Record<IntakeEvent, string>> = {
  issue: '已签发',
  annual_review: '已完成年度审验并更新',
  change: '已变更',
  reissue: '已补发/换发',
  suspend: '已暂停',
  resume: '已恢复有效',
  revoke: '已注销',
  expire: '已过期',
};

/** The holder's inbox title for an event: 您的道路运输证已签发. */
export function deliveryTitle(kindName: string, event: IntakeEvent): string {
  return `您的${kindName}${deliveryTitles[event] ?? eventNames[event]}`;
}

/** Carries out one planned transition inside the record's transaction. */
async function applyTransition(
  tx: Db,
  ctx: IntakeContext,
  source: IntakeSource,
  env: IntakeEnvelope,
  record: IntakeRecord,
  licence: Licence | undefined,
  state: LicenceState,
  transition: { action: string; to: Exclude<LicenceState, 'none'> },
  now: Date,
): Promise<Applied> {
  const kind = getKind(ctx.catalog.content, env.kind);
  const event = (identifier: string | null, reason?: string) =>
    tx.insert(certificateEvents).values({
      sourceRecordId: env.sourceRecordId,
      regionCode: env.regionCode,
      identifier,
      event: env.event,
      fromState: state,
      toState: transition.to,
      reason: reason ?? env.reason ?? null,
      sourceVersion: env.sourceVersion,
      actorType: source.actor.type,
      actorId: source.actor.id,
      at: now,
    });
  const deliver = (holderId: string, identifier: string) =>
    tx.insert(outbox).values({
      topic: 'delivery',
      payload: {
        holderId,
        identifier,
        regionCode: env.regionCode,
        kind: env.event,
        title: deliveryTitle(kind.name, env.event),
      },
      createdAt: now,
    });

  if (transition.action === 'record_paper') {
    const holderId = await upsertHolder(tx, ctx.vault, record.holder, now);
    const values = {
      regionCode: env.regionCode,
      kindCode: env.kind,
      certificateNumber: record.certificateNumber,
      holderId,
      state: 'paper',
      sourceVersion: env.sourceVersion,
      validTo: record.validTo ?? null,
      paperDataEnc: ctx.vault.seal('licence.paper', JSON.stringify(record)),
      updatedAt: now,
    };
    await tx
      .insert(licences)
      .values({ sourceRecordId: env.sourceRecordId, ...values, createdAt: now })
      .onConflictDoUpdate({ target: licences.sourceRecordId, set: values });
    await event(null);
    return {
      status: 'recorded',
      audit: {
        action: 'licence.baseline',
        regionCode: env.regionCode,
        targetType: 'licence',
        targetId: env.sourceRecordId,
        details: { kind: env.kind },
      },
    };
  }

  if (transition.action === 'status') {
    if (licence?.currentIdentifier) {
      await tx
        .update(certificates)
        .set({
          status: certificateStatusOf(transition.to),
          statusReason: env.reason ?? null,
          statusChangedAt: now,
        })
        .where(eq(certificates.identifier, licence.currentIdentifier));
    }
    await tx
      .update(licences)
      .set({ state: transition.to, sourceVersion: env.sourceVersion, updatedAt: now })
      .where(eq(licences.sourceRecordId, env.sourceRecordId));
    await event(licence?.currentIdentifier ?? null);
    if (licence?.currentIdentifier) await deliver(licence.holderId, licence.currentIdentifier);
    return {
      status: 'updated',
      ...(licence?.currentIdentifier ? { identifier: licence.currentIdentifier } : {}),
      audit: {
        action: statusAuditAction[env.event as StatusEvent],
        regionCode: env.regionCode,
        targetType: licence?.currentIdentifier ? 'certificate' : 'licence',
        targetId: licence?.currentIdentifier ?? env.sourceRecordId,
        details: { from: state, to: transition.to, reason: env.reason ?? null },
      },
    };
  }

  // issue | new_version: seal a certificate version.
  const holderId = await upsertHolder(tx, ctx.vault, record.holder, now);
  let serial: string;
  let version: number;
  let issuerCode: string;
  let previous: string | null = null;
  if (transition.action === 'new_version' && licence?.currentIdentifier && licence.serial) {
    const current = parseIdentifier(licence.currentIdentifier);
    serial = licence.serial;
    version = current.version + 1;
    issuerCode = current.issuerCode;
    previous = licence.currentIdentifier;
  } else {
    const year = Number(record.issueDate.slice(0, 4));
    serial = formatSerial(year, await nextCertificateSerial(tx));
    version = 1;
    issuerCode = record.issuer.code;
  }
  const identifier = formatIdentifier({ typeCode: env.kind, issuerCode, serial, version });
  const signer = ctx.signer;
  const sealed = await sealAssertion(
    signer,
    buildAssertion({
      identifier,
      version,
      kindName: kind.name,
      catalogVersion: ctx.catalog.version,
      record,
      event: env.event,
      previousIdentifier: previous,
      sealKeyId: signer.keyId,
      sealName: ctx.config.province.sealName,
      signedAt: now,
    }),
  );
  if (!ctx.catalog.locked) await lockCatalogVersion(tx, ctx.catalog.version, now);
  const licenceValues = {
    regionCode: env.regionCode,
    kindCode: env.kind,
    certificateNumber: record.certificateNumber,
    holderId,
    state: 'valid',
    sourceVersion: env.sourceVersion,
    serial,
    currentIdentifier: identifier,
    validTo: record.validTo ?? null,
    paperDataEnc: null,
    updatedAt: now,
  };
  await tx
    .insert(licences)
    .values({ sourceRecordId: env.sourceRecordId, ...licenceValues, firstElectronicAt: now, createdAt: now })
    .onConflictDoUpdate({
      target: licences.sourceRecordId,
      set: { ...licenceValues, firstElectronicAt: sql`coalesce(${licences.firstElectronicAt}, ${now})` },
    });
  await tx.insert(certificates).values({
    identifier,
    serial,
    version,
    sourceRecordId: env.sourceRecordId,
    regionCode: env.regionCode,
    kindCode: env.kind,
    certificateNumber: record.certificateNumber,
    holderId,
    status: 'valid',
    statusChangedAt: now,
    issueDate: record.issueDate,
    validFrom: record.validFrom ?? null,
    validTo: record.validTo ?? null,
    catalogVersion: ctx.catalog.version,
    signedDataEnc: ctx.vault.seal('certificate.signed_data', sealed.signedData.toString('utf8')),
    signedDataDigest: sealed.signedDataDigest,
    signature: sealed.signature.toString('base64'),
    sealKeyId: signer.keyId,
    signedAt: now,
    previousIdentifier: previous,
    event: env.event,
    createdAt: now,
  });
  if (previous) {
    await tx
      .update(certificates)
      .set({
        status: 'superseded',
        statusChangedAt: now,
        nextIdentifier: identifier,
        statusReason: eventNames[env.event],
      })
      .where(eq(certificates.identifier, previous));
  }
  await event(identifier);
  await deliver(holderId, identifier);
  return {
    status: previous ? 'updated' : 'issued',
    identifier,
    sealed: true,
    audit: {
      action: previous ? 'certificate.new_version' : 'certificate.issue',
      regionCode: env.regionCode,
      targetType: 'certificate',
      targetId: identifier,
      details: {
        event: env.event,
        version,
        previous,
        catalogVersion: ctx.catalog.version,
        digest: sealed.signedDataDigest,
      },
    },
  };
}

/** Latest version of a licence's certificate (used by tests and services). */
export async function currentCertificate(db: Db, sourceRecordId: string) {
  const [row] = await db
    .select()
    .from(certificates)
    .where(eq(certificates.sourceRecordId, sourceRecordId))
    .orderBy(desc(certificates.version))
    .limit(1);
  return row;
}
