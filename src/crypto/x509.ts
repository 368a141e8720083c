import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { AppError } from '../errors.ts';
import { bytesToBigint, DER_TAG, encodeTlv, expectTlv } from './der.ts';
import { derFromPemOrDer, fromPem, toPem } from './pem.ts';
import type { Signer } from './signer.ts';
import { publicKeyFromSpki, publicKeyToSpki, Sm2PublicKey, sm2Verify } from './sm2.ts';
import { OID } from './sm2-curve.ts';
import { sm3 } from './sm3.ts';

/**
 * X.509 v3 certificates for the seal PKI (GM/T 0015 profile, SM2-with-SM3): a root
 * (the provincial CA) and end-entity seal certificates (电子印章证书). DER is built with
 * @peculiar/asn1-x509; the TBSCertificate is signed through a `Signer`, so the CA key may
 * later sit in an HSM without changing this file.
 */

export { fromPem, toPem };

/** Distinguished name as used here. Values are UTF8String; the country is PrintableString. */
export interface CertificateSubject {
  readonly country: string;
  readonly province?: string;
  readonly organization?: string;
  readonly commonName: string;
}

export interface ParsedCertificate {
  readonly subject: CertificateSubject;
  readonly issuer: CertificateSubject;
  /** Serial number as lower-case hex of its (positive) value, even length. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** 65-byte uncompressed SM2 public point. */
  readonly publicKey65: Buffer;
  readonly isCA: boolean;
  readonly der: Buffer;
  readonly pem: string;
  /** Hex key identifiers from the SKI / AKI extensions, when present. */
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  /** Both signature algorithm fields (outer and in the TBS) say SM2-with-SM3. */
  readonly signedWithSm2Sm3: boolean;
}

export type CertificateInput = ParsedCertificate | string | Uint8Array;

const ATTR = {
  country: '2.5.4.6',
  province: '2.5.4.8',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
} as const;

// RFC 5280 upper bounds (ub-common-name, ub-organization-name, ub-state-name).
const NAME_LIMITS = { province: 128, organization: 64, commonName: 64 } as const;

const SM2_WITH_SM3 = (): AlgorithmIdentifier => new AlgorithmIdentifier({ algorithm: OID.sm2WithSm3 });

// ---------------------------------------------------------------- names

function toName(subject: CertificateSubject, what: string): Name {
  if (subject === null || typeof subject !== 'object') {
    throw new AppError('CRYPTO_INVALID_INPUT', `${what}不能为空`);
  }
  if (typeof subject.country !== 'string' || !/^[A-Z]{2}$/.test(subject.country)) {
    throw new AppError('CRYPTO_INVALID_INPUT', `${what}的国家代码应为两个大写字母（如 CN）`);
  }
  const rdns = [rdn(ATTR.country, new AttributeValue({ printableString: subject.country }))];
  for (const field of ['province', 'organization', 'commonName'] as const) {
    const value = subject[field];
    if (value === undefined && field !== 'commonName') continue;
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > NAME_LIMITS[field]) {
      throw new AppError(
        'CRYPTO_INVALID_INPUT',
        `${what}的 ${field} 应为 1–${NAME_LIMITS[field]} 个字符的非空字符串`,
      );
    }
    rdns.push(rdn(ATTR[field], new AttributeValue({ utf8String: value })));
  }
  return new Name(rdns);
}

function rdn(type: string, value: AttributeValue): RelativeDistinguishedName {
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
}

function fromName(name: Name): CertificateSubject {
  const out: { country: string; province?: string; organization?: string; commonName: string } = {
    country: '',
    commonName: '',
  };
  for (const set of name) {
    for (const attribute of set) {
      const value = attribute.value.toString();
      if (attribute.type === ATTR.country) out.country = value;
      else if (attribute.type === ATTR.province) out.province = value;
      else if (attribute.type === ATTR.organization) out.organization = value;
      else if (attribute.type === ATTR.commonName) out.commonName = value;
    }
  }
  return out;
}

// ---------------------------------------------------------------- building

function serialBytes(serialNumber: bigint | undefined): ArrayBuffer {
  let bytes: Buffer;
  if (serialNumber === undefined) {
    // 128 random bits (CA/B forum asks ≥ 64); top bit cleared so the INTEGER is positive,
    // next bit set so the encoding is minimal and always 16 bytes.
    bytes = randomBytes(16);
    bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  } else {
    if (typeof serialNumber !== 'bigint' || serialNumber < 1n || serialNumber >= 1n << 159n) {
      throw new AppError('CRYPTO_INVALID_INPUT', '证书序列号应为正整数且不超过 20 字节');
    }
    let hex = serialNumber.toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    bytes = Buffer.from(hex, 'hex');
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  }
  return Uint8Array.from(bytes).buffer;
}

/**
 * Key identifier: the leftmost 160 bits of SM3 over the subjectPublicKey bits — RFC 7093
 * method 1 with SM3 in place of SHA-256, keeping the whole certificate within GM algorithms.
 */
function keyIdentifier(publicKey65: Uint8Array): Buffer {
  return sm3(publicKey65).subarray(0, 20);
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function checkValidity(notBefore: Date, notAfter: Date): void {
  if (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime())) {
    throw new AppError('CRYPTO_INVALID_INPUT', '证书生效时间 notBefore 不是有效日期');
  }
  if (!(notAfter instanceof Date) || Number.isNaN(notAfter.getTime())) {
    throw new AppError('CRYPTO_INVALID_INPUT', '证书截止时间 notAfter 不是有效日期');
  }
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new AppError('CRYPTO_INVALID_INPUT', '证书截止时间必须晚于生效时间');
  }
}

/** Signs the TBS with `signer` and assembles Certificate ::= SEQUENCE { tbs, alg, BIT STRING }. */
async function signTbs(tbs: TBSCertificate, signer: Signer): Promise<ParsedCertificate> {
  if (signer.algorithm !== 'SM2-SM3') {
    throw new AppError(
      'CRYPTO_INVALID_INPUT',
      `签名者算法 ${String(signer.algorithm)} 不受支持，应为 SM2-SM3`,
    );
  }
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = await signer.sign(tbsDer);
  // Assembled by hand so the signed bytes are exactly the bytes in the certificate.
  const der = encodeTlv(
    DER_TAG.SEQUENCE,
    Buffer.concat([
      tbsDer,
      Buffer.from(AsnConvert.serialize(SM2_WITH_SM3())),
      encodeTlv(DER_TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), signature])),
    ]),
  );
  return parseCertificate(der);
}

export interface RootCertificateOptions {
  readonly signer: Signer;
  readonly subject: CertificateSubject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Positive, at most 20 bytes; random 128 bits when omitted. */
  readonly serialNumber?: bigint;
}

/** Self-signed CA certificate: basicConstraints cA (critical), keyCertSign + cRLSign, SKI. */
export async function createRootCertificate(options: RootCertificateOptions): Promise<ParsedCertificate> {
  const { signer, subject, notBefore, notAfter, serialNumber } = options;
  checkValidity(notBefore, notAfter);
  const name = toName(subject, '根证书主体');
  const publicKey = signer.publicKey;
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialBytes(serialNumber),
    signature: SM2_WITH_SM3(),
    issuer: name,
    validity: new Validity({ notBefore, notAfter }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(publicKeyToSpki(publicKey), SubjectPublicKeyInfo),
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(publicKey))),
    ]),
  });
  return signTbs(tbs, signer);
}

export interface SealCertificateOptions {
  readonly issuerSigner: Signer;
  readonly issuerCertificate: CertificateInput;
  /** 65-byte uncompressed SM2 public key of the seal. */
  readonly subjectPublicKey: Uint8Array;
  readonly subject: CertificateSubject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serialNumber?: bigint;
}

/**
 * End-entity seal certificate: digitalSignature + nonRepudiation (critical), cA false,
 * SKI and AKI. The issuer signer must hold the key of `issuerCertificate`, which must be a CA.
 */
export async function createSealCertificate(options: SealCertificateOptions): Promise<ParsedCertificate> {
  const { issuerSigner, subjectPublicKey, subject, notBefore, notAfter, serialNumber } = options;
  checkValidity(notBefore, notAfter);
  const issuer = toParsed(options.issuerCertificate);
  if (!issuer.isCA) throw new AppError('CRYPTO_INVALID_INPUT', '签发者证书不是 CA 证书，不能签发印章证书');
  if (!issuerSigner.publicKey.equals(issuer.publicKey65)) {
    throw new AppError('CRYPTO_INVALID_INPUT', '签发者签名密钥与签发者证书中的公钥不一致');
  }
  Sm2PublicKey.from(subjectPublicKey); // refuses keys that are not points on the curve
  // The issuer name is copied from the issuer certificate itself so the chain links by bytes.
  const issuerName = AsnConvert.parse(issuer.der, Certificate).tbsCertificate.subject;
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialBytes(serialNumber),
    signature: SM2_WITH_SM3(),
    issuer: issuerName,
    validity: new Validity({ notBefore, notAfter }),
    subject: toName(subject, '印章证书主体'),
    subjectPublicKeyInfo: AsnConvert.parse(publicKeyToSpki(subjectPublicKey), SubjectPublicKeyInfo),
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
      extension(
        id_ce_keyUsage,
        true,
        new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation),
      ),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(subjectPublicKey))),
      extension(
        id_ce_authorityKeyIdentifier,
        false,
        new AuthorityKeyIdentifier({
          keyIdentifier: new KeyIdentifier(
            issuer.subjectKeyId !== undefined
              ? Buffer.from(issuer.subjectKeyId, 'hex')
              : keyIdentifier(issuer.publicKey65),
          ),
        }),
      ),
    ]),
  });
  return signTbs(tbs, issuerSigner);
}

// ---------------------------------------------------------------- parsing and verification

function toParsed(input: CertificateInput): ParsedCertificate {
  if (typeof input === 'string' || input instanceof Uint8Array) return parseCertificate(input);
  if (input !== null && typeof input === 'object' && Buffer.isBuffer(input.der)) return input;
  throw new AppError('CRYPTO_INVALID_INPUT', '证书应为 PEM 文本、DER 字节或已解析的证书');
}

/** Exact TBSCertificate bytes and signature value, sliced from the DER without re-encoding. */
function splitCertificate(der: Buffer): { tbs: Buffer; signature: Buffer } {
  const outer = expectTlv(der, 0, DER_TAG.SEQUENCE, '证书');
  if (outer.end !== der.length)
    throw new AppError('CRYPTO_INVALID_INPUT', '证书格式不正确：证书后有多余数据');
  const tbs = expectTlv(der, outer.contentStart, DER_TAG.SEQUENCE, 'TBSCertificate', outer.end);
  const alg = expectTlv(der, tbs.end, DER_TAG.SEQUENCE, 'signatureAlgorithm', outer.end);
  const bits = expectTlv(der, alg.end, DER_TAG.BIT_STRING, 'signatureValue', outer.end);
  if (bits.end !== outer.end || bits.end - bits.contentStart < 1 || der[bits.contentStart] !== 0) {
    throw new AppError('CRYPTO_INVALID_INPUT', '证书格式不正确：签名值不是完整字节的 BIT STRING');
  }
  return { tbs: der.subarray(tbs.start, tbs.end), signature: der.subarray(bits.contentStart + 1, bits.end) };
}

/**
 * Certificates already parsed, by their DER. The same few certificates (root, seal, makers) are
 * read for every token, QR payload, seal signature and document check, and one schema parse costs
 * milliseconds; the results are frozen and shared. Bounded; a parse that fails is not kept.
 */
const parsedCache = new Map<string, ParsedCertificate>();
const PARSED_CACHE_SIZE = 256;

/**
 * Parses an SM2 certificate from PEM or DER. Certificates with other key types are refused.
 * The result is shared between callers (see `parsedCache`): treat it as read-only.
 */
export function parseCertificate(input: string | Uint8Array): ParsedCertificate {
  const der = Buffer.from(derFromPemOrDer(input, 'CERTIFICATE'));
  const key = der.toString('base64');
  const cached = parsedCache.get(key);
  if (cached) return cached;
  const parsed = Object.freeze(parseDer(der));
  if (parsedCache.size >= PARSED_CACHE_SIZE) parsedCache.delete(parsedCache.keys().next().value!);
  parsedCache.set(key, parsed);
  return parsed;
}

function parseDer(der: Buffer): ParsedCertificate {
  splitCertificate(der); // structural check with a precise message before the schema parser
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (cause) {
    throw new AppError('CRYPTO_INVALID_INPUT', '证书格式不正确：无法解析 X.509 结构', { cause });
  }
  const tbs = cert.tbsCertificate;
  const extensions = tbs.extensions ?? [];
  const find = (oid: string) => extensions.find((e) => e.extnID === oid);
  const basic = find(id_ce_basicConstraints);
  const ski = find(id_ce_subjectKeyIdentifier);
  const aki = find(id_ce_authorityKeyIdentifier);
  const akiValue = aki
    ? AsnConvert.parse(aki.extnValue.buffer, AuthorityKeyIdentifier).keyIdentifier
    : undefined;
  return {
    subject: fromName(tbs.subject),
    issuer: fromName(tbs.issuer),
    serialHex: (() => {
      const hex = bytesToBigint(new Uint8Array(tbs.serialNumber)).toString(16);
      return hex.length % 2 === 1 ? `0${hex}` : hex;
    })(),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    publicKey65: publicKeyFromSpki(Buffer.from(AsnConvert.serialize(tbs.subjectPublicKeyInfo))),
    isCA: basic ? AsnConvert.parse(basic.extnValue.buffer, BasicConstraints).cA : false,
    der,
    pem: toPem(der, 'CERTIFICATE'),
    subjectKeyId: ski
      ? Buffer.from(AsnConvert.parse(ski.extnValue.buffer, SubjectKeyIdentifier).buffer).toString('hex')
      : undefined,
    authorityKeyId: akiValue ? Buffer.from(akiValue.buffer).toString('hex') : undefined,
    signedWithSm2Sm3:
      cert.signatureAlgorithm.algorithm === OID.sm2WithSm3 && tbs.signature.algorithm === OID.sm2WithSm3,
  };
}

/**
 * True when `issuerCert`'s key made `cert`'s signature: SM2-with-SM3, default ID, over the
 * exact TBS bytes. Only the signature is checked — validity dates, names and revocation
 * belong to the caller's chain policy.
 */
export function verifyCertificateSignature(cert: CertificateInput, issuerCert: CertificateInput): boolean {
  const subject = toParsed(cert);
  const issuer = toParsed(issuerCert);
  if (!subject.signedWithSm2Sm3) return false;
  const { tbs, signature } = splitCertificate(subject.der);
  return sm2Verify(issuer.publicKey65, tbs, signature);
}
