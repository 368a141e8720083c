/**
 * Just enough X.509 (DER) for offline checks in the browser: the SM2 public key, the validity
 * window and the certificate's fingerprint as the QR and the 亮证 token name it
 * (SM3 of the DER, first 8 bytes). The certificates come from the platform's trust list.
 */
import { sm3 } from 'sm-crypto-v2';
import { fromPem, hex } from './bytes.ts';

export interface SealCertificate {
  keyId: string;
  /** Uncompressed point 04‖x‖y, hex. */
  publicKeyHex: string;
  notBefore: Date;
  notAfter: Date;
  /** SM3(DER)[0..8], hex. */
  fingerprint: string;
}

interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(der: Uint8Array, offset: number): Tlv {
  const tag = der[offset]!;
  let len = der[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[p + i]!;
    p += n;
  }
  if (p + len > der.length) throw new Error('DER overrun');
  return { tag, start: offset, contentStart: p, end: p + len };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end; ) {
    const t = readTlv(der, p);
    out.push(t);
    p = t.end;
  }
  return out;
}

function time(der: Uint8Array, t: Tlv): Date {
  const s = new TextDecoder().decode(der.subarray(t.contentStart, t.end));
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new Error('certificate time');
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export function parseSealCertificate(keyId: string, pem: string): SealCertificate {
  const der = fromPem(pem);
  const cert = readTlv(der, 0);
  const [tbs] = children(der, cert);
  if (!tbs) throw new Error('certificate');
  const fields = children(der, tbs);
  const first = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional
  const validity = fields[first + 3];
  const spki = fields[first + 5];
  if (!validity || !spki) throw new Error('certificate fields');
  const [notBefore, notAfter] = children(der, validity);
  const [, key] = children(der, spki);
  if (!notBefore || !notAfter || key?.tag !== 0x03) throw new Error('certificate key');
  // BIT STRING: one byte of unused bits, then the 65-byte point.
  const point = der.subarray(key.contentStart + 1, key.end);
  if (point.length !== 65 || point[0] !== 0x04) throw new Error('not an uncompressed SM2 point');
  return {
    keyId,
    publicKeyHex: hex(point),
    notBefore: time(der, notBefore),
    notAfter: time(der, notAfter),
    fingerprint: sm3(der).slice(0, 16),
  };
}
