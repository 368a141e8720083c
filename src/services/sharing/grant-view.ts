import { inArray } from 'drizzle-orm';
import type { CatalogContent } from '../../domain/catalog/types.ts';
import { getRegion } from '../../domain/regions.ts';
import type { Db } from '../../store/db.ts';
import { clients, type shareGrants } from '../../store/schema.ts';
import { kindName } from '../certificates/certificate-view.ts';
import { fieldLabels, type ShareField } from './shareable-fields.ts';

type GrantRow = typeof shareGrants.$inferSelect;

/** A licence named by a consent grant, as stored in `share_grants.certificates`. */
export interface GrantedCertificate {
  serial: string;
  identifier: string;
  kindCode: string;
  certificateNumber: string;
}

export interface GrantView {
  id: string;
  basis: 'consent' | 'duty';
  relyingParty: { id: string; name: string };
  certificates: { identifier: string; kind: { code: string; name: string }; certificateNumber: string }[];
  regionCode: string;
  regionName: string;
  kinds: { code: string; name: string }[];
  fields: ShareField[];
  purpose: string;
  legalBasis: string | null;
  createdAt: string;
  expiresAt: string;
  withdrawnAt: string | null;
  state: 'active' | 'withdrawn' | 'expired';
}

export function grantState(row: GrantRow, now: Date): GrantView['state'] {
  if (row.withdrawnAt) return 'withdrawn';
  return row.expiresAt <= now ? 'expired' : 'active';
}

/** Names of the clients the rows point at, in one query. */
export async function clientNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: clients.id, name: clients.name })
    .from(clients)
    .where(inArray(clients.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.name]));
}

export function toGrantView(
  row: GrantRow,
  catalog: CatalogContent,
  names: Map<string, string>,
  now: Date,
): GrantView {
  const certs = (row.certificates as GrantedCertificate[] | null) ?? [];
  const kindCodes = (row.kindCodes as string[] | null) ?? [];
  const kindsOfFields = row.basis === 'duty' ? kindCodes : certs.map((c) => c.kindCode);
  return {
    id: row.id,
    basis: row.basis as GrantView['basis'],
    relyingParty: { id: row.clientId, name: names.get(row.clientId) ?? row.clientId },
    certificates: certs.map((c) => ({
      identifier: c.identifier,
      kind: { code: c.kindCode, name: kindName(catalog, c.kindCode) },
      certificateNumber: c.certificateNumber,
    })),
    regionCode: row.regionCode,
    regionName: getRegion(row.regionCode)?.fullName ?? row.regionCode,
    kinds: kindCodes.map((code) => ({ code, name: kindName(catalog, code) })),
    fields: fieldLabels(catalog, kindsOfFields, row.fields as string[]),
    purpose: row.purpose,
    legalBasis: row.legalBasis,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    withdrawnAt: row.withdrawnAt?.toISOString() ?? null,
    state: grantState(row, now),
  };
}
