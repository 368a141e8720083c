import { and, eq } from 'drizzle-orm';
import { getKind } from '../../domain/catalog/index.ts';
import type { CatalogContent } from '../../domain/catalog/types.ts';
import { AppError } from '../../errors.ts';
import { certificates } from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { ServiceContext } from '../context.ts';
import type { CertificateAssertion } from '../issuance/seal-certificate.ts';
import type { HolderPrincipal } from '../wallet/holder-session.ts';

export interface ShareField {
  key: string;
  label: string;
}

/**
 * Fields of the certificate around the face (照面) that a grant may also name. The holder's ID
 * number is not among them; where it is the certificate number (从业资格证) granting
 * `certificateNumber` discloses it, and the field picker says so by its label.
 */
const envelopeFields: readonly ShareField[] = [
  { key: 'certificateNumber', label: '证照编号' },
  { key: 'holderName', label: '持证主体名称' },
  { key: 'issuerName', label: '发证机关' },
  { key: 'issueDate', label: '发证日期' },
];

/** What a grant for a kind can name: the envelope fields above, then the kind's face fields in print order. */
export function shareableFields(catalog: CatalogContent, kindCode: string): ShareField[] {
  const face = getKind(catalog, kindCode).fields.map((f) => ({ key: f.key, label: f.label }));
  return [...envelopeFields, ...face.filter((f) => !envelopeFields.some((e) => e.key === f.key))];
}

/**
 * Checks the fields a grant names against the kinds it covers: each must belong to at least one
 * of them. Returns them deduplicated, in request order; an unknown key is a 400 naming it.
 */
export function validateGrantFields(
  catalog: CatalogContent,
  kindCodes: string[],
  fields: string[],
): string[] {
  const known = new Set(kindCodes.flatMap((k) => shareableFields(catalog, k).map((f) => f.key)));
  const unknown = fields.filter((f) => !known.has(f));
  if (unknown.length) {
    throw new AppError('VALIDATION_FAILED', `照面项 ${unknown.join('、')} 不属于所授权的证照类型`, {
      details: {
        errors: unknown.map((f) => ({ field: 'fields', code: 'FIELD_UNKNOWN', message: `未知照面项 ${f}` })),
      },
    });
  }
  return [...new Set(fields)];
}

/** Labels for stored field keys; a key no longer in the catalog shows as itself. */
export function fieldLabels(catalog: CatalogContent, kindCodes: string[], keys: string[]): ShareField[] {
  const labels = new Map<string, string>();
  for (const k of kindCodes) {
    try {
      for (const f of shareableFields(catalog, k)) labels.set(f.key, f.label);
    } catch {
      // A kind retired from the catalog: keep the raw keys.
    }
  }
  for (const f of envelopeFields) labels.set(f.key, f.label);
  return keys.map((key) => ({ key, label: labels.get(key) ?? key }));
}

/** The granted fields of one certificate, as sealed; a granted field the kind lacks is left out, one left empty is null. */
export function pickFields(
  catalog: CatalogContent,
  assertion: CertificateAssertion,
  granted: string[],
): { fields: Record<string, unknown>; labels: Record<string, string> } {
  const envelope: Record<string, unknown> = {
    certificateNumber: assertion.certificateNumber,
    holderName: assertion.holder.name,
    issuerName: assertion.issuer.name,
    issueDate: assertion.issueDate,
  };
  const fields: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  for (const f of shareableFields(catalog, assertion.kind.code)) {
    if (!granted.includes(f.key)) continue;
    fields[f.key] = (f.key in envelope ? envelope[f.key] : assertion.face[f.key]) ?? null;
    labels[f.key] = f.label;
  }
  return { fields, labels };
}

/** The field picker for one of the holder's own certificates (another's is "not found"). */
export async function holderShareableFields(
  ctx: ServiceContext,
  holder: HolderPrincipal,
  identifier: string,
): Promise<{ items: ShareField[] }> {
  const [row] = await ctx.db
    .select({ kindCode: certificates.kindCode })
    .from(certificates)
    .where(and(eq(certificates.identifier, identifier), eq(certificates.holderId, holder.holderId)));
  if (!row) throw new AppError('NOT_FOUND', '电子证照不存在');
  return { items: shareableFields((await currentCatalog(ctx.db)).content, row.kindCode) };
}
