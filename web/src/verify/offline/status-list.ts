/** The signed status list (GET /api/v1/status-list) and its signature check, for offline use. */
import canonicalize from 'canonicalize';
import { sm2 } from 'sm-crypto-v2';
import { fromBase64, hex } from './bytes.ts';
import type { SealCertificate } from './x509.ts';

export interface StatusList {
  issuedAt: string;
  maxAgeSeconds: number;
  sealKeyId: string;
  entries: { identifier: string; status: 'revoked' | 'suspended' | 'superseded' }[];
  signature: string;
}

/** Whether the status list carries a valid seal signature over its RFC 8785 canonical form. */
export function statusListSigned(list: StatusList, seals: SealCertificate[]): boolean {
  const seal = seals.find((s) => s.keyId === list.sealKeyId);
  if (!seal) return false;
  const { signature, ...body } = list;
  const canonical = canonicalize(body);
  if (canonical === undefined) return false;
  try {
    return sm2.doVerifySignature(
      new TextEncoder().encode(canonical),
      hex(fromBase64(signature)),
      seal.publicKeyHex,
      {
        der: true,
        hash: true,
      },
    );
  } catch {
    return false;
  }
}
