import { sql } from 'drizzle-orm';
import { getKind } from '../../domain/catalog/index.ts';
import { formatIdentifier, formatSerial } from '../../domain/identifiers.ts';
import type { IntakeRecord } from '../../domain/rules/types.ts';
import { insertRows } from '../../store/bulk-insert.ts';
import { type AuditBatchItem, appendAuditBatch } from '../audit/append-audit.ts';
import { lockCatalogVersion } from '../catalog/catalog-versions.ts';
import { buildAssertion, sealAssertions } from '../issuance/seal-certificate.ts';
import { deliveryTitle } from './process-record.ts';
import type { IntakeContext, IntakeEnvelope, IntakeResult, IntakeSource } from './types.ts';

export interface ChunkEntry {
  env: IntakeEnvelope;
  record: IntakeRecord;
}

/**
 * Bulk path for the commonest large load — new licences (`issue`) that passed the standard
 * checks, each sourceRecordId once — written set-wise: one statement per table for the whole
 * chunk instead of ~14 per record. Every record's rows are the same as the per-record path would
 * write (the same lock keys, identifiers from the same sequence, the same audit chain), and the
 * chunk commits or rolls back whole, so no record is ever half-written.
 *
 * Returns null, having written nothing, when any licence of the chunk is already known (or the
 * chunk fails): the caller then takes the ordinary one-transaction-per-record path for each, so
 * one bad record still never fails the others.
 */
export async function issueChunk(
  ctx: IntakeContext,
  source: IntakeSource,
  entries: readonly ChunkEntry[],
): Promise<IntakeResult[] | null> {
  if (entries.length === 0) return [];
  const now = ctx.clock.now();
  const ids = entries.map((e) => e.env.sourceRecordId);
  const idList = ids.join(',');
  let sealed = false;
  try {
    const results = await ctx.db.transaction(async (tx) => {
      // Every read of this transaction is a lookup by key. In a database filled by a bulk load
      // the tables have no statistics yet, so the planner takes `id = any(<200 ids>)` for "the
      // whole table" and the LIMIT for "stops at the first row": it read intake_records and
      // licences end to end for every chunk (quadratic in the load). Index paths only, then.
      // The setting rides with the per-licence locks, taken in a fixed order (several bulk writers
      // never deadlock); the reads must come in a later statement, whose snapshot sees what the
      // previous holders of these locks committed.
      await tx.execute(
        sql`select set_config('enable_seqscan', 'off', true), (select count(pg_advisory_xact_lock(hashtext('licence:' || x)))
              from (select x from unnest(string_to_array(${idList}, ',')) as x order by x offset 0) s)`,
      );
      const known = (await tx.execute(sql`
        select 1 from intake_records where source_record_id = any(string_to_array(${idList}, ','))
        union all
        select 1 from licences where source_record_id = any(string_to_array(${idList}, ','))
        limit 1`)) as unknown as { rows: unknown[] };
      if (known.rows.length > 0) return null;

      // Holders: one row per distinct holder (the same company may hold many licences). The
      // last record of a holder wins (as one by one would), so walk backwards; each holder's
      // identity is sealed once, however many licences it holds.
      const vault = ctx.vault;
      // holderIndex's key (upsert-holder.ts), for the whole chunk at once.
      const indexes = vault.indexMany(
        'holder.id',
        entries.map(({ record }) => `${record.holder.idType}:${record.holder.id}`),
      );
      const holders = new Map<
        string,
        { idType: string; id: string; name: string; phone: string | undefined }
      >();
      for (let i = entries.length - 1; i >= 0; i--) {
        const { holder } = entries[i]!.record;
        const later = holders.get(indexes[i]!);
        if (!later) holders.set(indexes[i]!, { ...holder, phone: holder.phone || undefined });
        // One by one, a record without a phone keeps the phone an earlier record gave.
        else if (later.phone === undefined && holder.phone) later.phone = holder.phone;
      }
      const distinct = [...holders.values()];
      const idEnc = vault.sealMany(
        'holder.id',
        distinct.map((h) => h.id),
      );
      const nameEnc = vault.sealMany(
        'holder.name',
        distinct.map((h) => h.name),
      );
      const phones = distinct.flatMap((h) => (h.phone === undefined ? [] : [h.phone]));
      const phoneEnc = vault.sealMany('holder.phone', phones);
      const phoneIndex = vault.indexMany('holder.phone', phones);
      let phoneAt = 0;
      const holderRows = [...holders.keys()].map((idIndex, k) => {
        const h = distinct[k]!;
        const withPhone = h.phone !== undefined;
        const row = {
          id_index: idIndex,
          id_type: h.idType,
          id_enc: idEnc[k]!,
          name_enc: nameEnc[k]!,
          phone_enc: withPhone ? phoneEnc[phoneAt]! : null,
          phone_index: withPhone ? phoneIndex[phoneAt]! : null,
          created_at: now,
          updated_at: now,
        };
        if (withPhone) phoneAt++;
        return row;
      });
      const upserted = await insertRows<{ id: string; id_index: string }>(
        tx,
        'holders',
        {
          id_index: 'text',
          id_type: 'text',
          id_enc: 'text',
          name_enc: 'text',
          phone_enc: 'text',
          phone_index: 'text',
          created_at: 'timestamptz',
          updated_at: 'timestamptz',
        },
        holderRows,
        sql`on conflict (id_index) do update set name_enc = excluded.name_enc,
              phone_enc = coalesce(excluded.phone_enc, holders.phone_enc),
              phone_index = coalesce(excluded.phone_index, holders.phone_index),
              updated_at = excluded.updated_at
            returning id, id_index`,
      );
      const holderIds = new Map(upserted.map((h) => [h.id_index, h.id]));

      const serialRows = (await tx.execute(
        sql`select nextval('certificate_serial_seq')::text as n from generate_series(1, ${entries.length})`,
      )) as unknown as { rows: { n: string }[] };

      const signer = ctx.signer;
      const prepared = entries.map(({ env, record }, i) => {
        const kind = getKind(ctx.catalog.content, env.kind);
        const serial = formatSerial(Number(record.issueDate.slice(0, 4)), Number(serialRows.rows[i]!.n));
        const identifier = formatIdentifier({
          typeCode: env.kind,
          issuerCode: record.issuer.code,
          serial,
          version: 1,
        });
        const holderId = holderIds.get(indexes[i]!)!;
        const assertion = buildAssertion({
          identifier,
          version: 1,
          kindName: kind.name,
          catalogVersion: ctx.catalog.version,
          record,
          event: env.event,
          previousIdentifier: null,
          sealKeyId: signer.keyId,
          sealName: ctx.config.province.sealName,
          signedAt: now,
        });
        return { env, record, kind, serial, identifier, holderId, assertion };
      });
      // Signatures run on the native thread pool in a few batch jobs, all cores at once.
      const seals = await sealAssertions(
        signer,
        prepared.map((p) => p.assertion),
      );
      if (!ctx.catalog.locked) await lockCatalogVersion(tx, ctx.catalog.version, now);
      const signedDataEnc = vault.sealMany(
        'certificate.signed_data',
        seals.map((s) => s.signedData),
      );

      await insertRows(
        tx,
        'licences',
        {
          source_record_id: 'text',
          region_code: 'text',
          kind_code: 'text',
          certificate_number: 'text',
          holder_id: 'uuid',
          state: 'text',
          source_version: 'integer',
          serial: 'text',
          current_identifier: 'text',
          valid_to: 'text',
          first_electronic_at: 'timestamptz',
          created_at: 'timestamptz',
          updated_at: 'timestamptz',
        },
        prepared.map((p) => ({
          source_record_id: p.env.sourceRecordId,
          region_code: p.env.regionCode,
          kind_code: p.env.kind,
          certificate_number: p.record.certificateNumber,
          holder_id: p.holderId,
          state: 'valid',
          source_version: p.env.sourceVersion,
          serial: p.serial,
          current_identifier: p.identifier,
          valid_to: p.record.validTo ?? null,
          first_electronic_at: now,
          created_at: now,
          updated_at: now,
        })),
      );
      await insertRows(
        tx,
        'certificates',
        {
          identifier: 'text',
          serial: 'text',
          version: 'integer',
          source_record_id: 'text',
          region_code: 'text',
          kind_code: 'text',
          certificate_number: 'text',
          holder_id: 'uuid',
          status: 'text',
          status_changed_at: 'timestamptz',
          issue_date: 'text',
          valid_from: 'text',
          valid_to: 'text',
          catalog_version: 'integer',
          signed_data_enc: 'text',
          signed_data_digest: 'text',
          signature: 'text',
          seal_key_id: 'text',
          signed_at: 'timestamptz',
          event: 'text',
          created_at: 'timestamptz',
        },
        prepared.map((p, i) => ({
          identifier: p.identifier,
          serial: p.serial,
          version: 1,
          source_record_id: p.env.sourceRecordId,
          region_code: p.env.regionCode,
          kind_code: p.env.kind,
          certificate_number: p.record.certificateNumber,
          holder_id: p.holderId,
          status: 'valid',
          status_changed_at: now,
          issue_date: p.record.issueDate,
          valid_from: p.record.validFrom ?? null,
          valid_to: p.record.validTo ?? null,
          catalog_version: ctx.catalog.version,
          signed_data_enc: signedDataEnc[i]!,
          signed_data_digest: seals[i]!.signedDataDigest,
          signature: seals[i]!.signature.toString('base64'),
          seal_key_id: signer.keyId,
          signed_at: now,
          event: p.env.event,
          created_at: now,
        })),
      );
      await insertRows(
        tx,
        'certificate_events',
        {
          source_record_id: 'text',
          region_code: 'text',
          identifier: 'text',
          event: 'text',
          from_state: 'text',
          to_state: 'text',
          reason: 'text',
          source_version: 'integer',
          actor_type: 'text',
          actor_id: 'text',
          at: 'timestamptz',
        },
        prepared.map((p) => ({
          source_record_id: p.env.sourceRecordId,
          region_code: p.env.regionCode,
          identifier: p.identifier,
          event: p.env.event,
          from_state: 'none',
          to_state: 'valid',
          reason: p.env.reason ?? null,
          source_version: p.env.sourceVersion,
          actor_type: source.actor.type,
          actor_id: source.actor.id,
          at: now,
        })),
      );
      await insertRows(
        tx,
        'outbox',
        { topic: 'text', payload: 'jsonb', created_at: 'timestamptz' },
        prepared.map((p) => ({
          topic: 'delivery',
          payload: {
            holderId: p.holderId,
            identifier: p.identifier,
            regionCode: p.env.regionCode,
            kind: p.env.event,
            title: deliveryTitle(p.kind.name, p.env.event),
          },
          created_at: now,
        })),
      );
      await insertRows(
        tx,
        'intake_records',
        {
          source_record_id: 'text',
          source_version: 'integer',
          client_id: 'text',
          event: 'text',
          kind_code: 'text',
          region_code: 'text',
          status: 'text',
          identifier: 'text',
          event_date: 'text',
          received_at: 'timestamptz',
        },
        prepared.map((p) => ({
          source_record_id: p.env.sourceRecordId,
          source_version: p.env.sourceVersion,
          client_id: source.clientId,
          event: p.env.event,
          kind_code: p.env.kind,
          region_code: p.env.regionCode,
          status: 'issued',
          identifier: p.identifier,
          event_date: p.record.issueDate.slice(0, 10),
          received_at: now,
        })),
      );
      // The whole chunk's audit records in three statements, whatever the number of regions.
      const meta = { at: now, requestId: ctx.requestId };
      await appendAuditBatch(
        tx,
        prepared.map(
          (p, i): AuditBatchItem => ({
            actor: source.actor,
            meta,
            entry: {
              action: 'certificate.issue',
              regionCode: p.env.regionCode,
              targetType: 'certificate',
              targetId: p.identifier,
              details: {
                event: p.env.event,
                version: 1,
                previous: null,
                catalogVersion: ctx.catalog.version,
                digest: seals[i]!.signedDataDigest,
              },
            },
          }),
        ),
      );
      sealed = true;
      return prepared.map(
        (p): IntakeResult => ({
          sourceRecordId: p.env.sourceRecordId,
          sourceVersion: p.env.sourceVersion,
          status: 'issued',
          identifier: p.identifier,
        }),
      );
    });
    if (sealed) ctx.catalog.locked = true;
    return results;
  } catch {
    // Whatever went wrong, nothing of the chunk was written: the per-record path decides each
    // record on its own (and reports a platform failure if there is one).
    return null;
  }
}
