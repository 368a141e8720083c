import canonicalize from 'canonicalize';
import type { Signer } from '../../crypto/signer.ts';
import { sm3Hex } from '../../crypto/sm3.ts';
import type { IntakeEvent } from '../../domain/lifecycle.ts';
import type { IntakeRecord } from '../../domain/rules/types.ts';

/** What an e-certificate asserts, exactly as signed. Status is not in it: status is looked up. */
export interface CertificateAssertion {
  type: 'roadcert.certificate/v1';
  identifier: string;
  version: number;
  kind: { code: string; name: string };
  catalogVersion: number;
  certificateNumber: string;
  issuer: { name: string; code: string };
  issueDate: string;
  validFrom: string | null;
  validTo: string | null;
  holder: { idType: string; id: string; name: string };
  face: Record<string, unknown>;
  regionCode: string;
  event: IntakeEvent;
  previousIdentifier: string | null;
  seal: { keyId: string; name: string };
  signedAt: string;
}

export interface SealedCertificate {
  assertion: CertificateAssertion;
  /** RFC 8785 canonical JSON bytes: what the signature covers. */
  signedData: Buffer;
  signedDataDigest: string;
  signature: Buffer;
}

export function buildAssertion(opts: {
  identifier: string;
  version: number;
  kindName: string;
  catalogVersion: number;
  record: IntakeRecord;
  event: IntakeEvent;
  previousIdentifier: string | null;
  sealKeyId: string;
  sealName: string;
  signedAt: Date;
}): CertificateAssertion {
  const { record } = opts;
  return {
    type: 'roadcert.certificate/v1',
    identifier: opts.identifier,
    version: opts.version,
    kind: { code: record.kind, name: opts.kindName },
    catalogVersion: opts.catalogVersion,
    certificateNumber: record.certificateNumber,
    issuer: { name: record.issuer.name, code: record.issuer.code },
    issueDate: record.issueDate,
    validFrom: record.validFrom ?? null,
    validTo: record.validTo ?? null,
    holder: { idType: record.holder.idType, id: record.holder.id, name: record.holder.name },
    face: record.face,
    regionCode: record.regionCode,
    event: opts.event,
    previousIdentifier: opts.previousIdentifier,
    seal: { keyId: opts.sealKeyId, name: opts.sealName },
    signedAt: opts.signedAt.toISOString(),
  };
}

/** Canonicalizes (RFC 8785) and signs with the seal key: SM2, default ID, DER. */
export async function sealAssertion(
  signer: Signer,
  assertion: CertificateAssertion,
): Promise<SealedCertificate> {
  const canonical = canonicalize(assertion);
  if (canonical === undefined) throw new Error('certificate assertion cannot be canonicalized');
  const signedData = Buffer.from(canonical, 'utf8');
  const signature = await signer.sign(signedData);
  return { assertion, signedData, signedDataDigest: sm3Hex(signedData), signature };
}
