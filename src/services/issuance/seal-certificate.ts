import { canonicalJson } from '../../crypto/canonical-json.ts';
import { type Signer, signAll } from '../../crypto/signer.ts';
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

/** RFC 8785 canonical bytes of an assertion: exactly what its signature covers. */
export function canonicalAssertion(assertion: CertificateAssertion): Buffer {
  return Buffer.from(canonicalJson(assertion), 'utf8');
}

/** Canonicalizes (RFC 8785) and signs with the seal key: SM2, default ID, DER. */
export async function sealAssertion(
  signer: Signer,
  assertion: CertificateAssertion,
): Promise<SealedCertificate> {
  const signedData = canonicalAssertion(assertion);
  const signature = await signer.sign(signedData);
  return { assertion, signedData, signedDataDigest: sm3Hex(signedData), signature };
}

/**
 * Many assertions at once (bulk issuance): the same result as sealAssertion for each, in order,
 * signed through the signer's batch form when it has one.
 */
export async function sealAssertions(
  signer: Signer,
  assertions: readonly CertificateAssertion[],
): Promise<SealedCertificate[]> {
  const signedData = assertions.map(canonicalAssertion);
  const signatures = signAll(signer, signedData);
  // The digests are taken while the signatures are made on the thread pool.
  const digests = signedData.map((d) => sm3Hex(d));
  const signed = await signatures;
  return assertions.map((assertion, i) => ({
    assertion,
    signedData: signedData[i]!,
    signedDataDigest: digests[i]!,
    signature: signed[i]!,
  }));
}
