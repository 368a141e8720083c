import { DER_TAG } from '../../crypto/der.ts';
import type { Signer } from '../../crypto/signer.ts';
import { sm2Verify } from '../../crypto/sm2.ts';
import { OID } from '../../crypto/sm2-curve.ts';
import { sm3 } from '../../crypto/sm3.ts';
import { type ParsedCertificate, parseCertificate, verifyCertificateSignature } from '../../crypto/x509.ts';
import { AppError } from '../../errors.ts';
import { bits, generalizedTime, ia5, int, malformed, octets, oid, Reader, seq, TAG, utf8 } from './asn1.ts';

/**
 * GB/T 38540-2020 (version 4) electronic seal (SESeal, 电子印章) and electronic signature
 * (SES_Signature, 电子签章) in DER, SM2-with-SM3 only.
 *
 * Who is who here:
 * - The **maker** (制章者) signs the seal: `SESeal.cert` holds the maker's certificate and
 *   `signedValue` is its SM2 signature over DER(SES_SealInfo). In roadcert the maker is the
 *   province's seal root CA (the certificate from `createRootCertificate`), so a verifier
 *   that trusts the root trusts the seal without an extra intermediate.
 * - The **signer** (签章者) uses the seal: its certificate (from `createSealCertificate`) is
 *   listed in the seal's `certList` (certListType 1, whole certificates), is placed again in
 *   `SES_Signature.cert`, and its key signs DER(TBS_Sign).
 *
 * Signatures always cover the exact bytes in the structure: the encoder signs what it then
 * embeds, and the parser slices the signed part out of the input instead of re-encoding it.
 */

export const SES_VERSION = 4;
export const SES_HEADER_ID = 'ES';
/** 印章类型 1: organisation seal (单位印章). */
export const SES_SEAL_TYPE_ORGANIZATION = 1;
/** certListType 1: `certList` holds whole certificates (2 would be certificate digests). */
export const SES_CERT_LIST_CERTIFICATES = 1;
const SM3_LENGTH = 32;
const PNG_MAGIC = Buffer.from('89504e470d0a1a0a', 'hex');

// ---------------------------------------------------------------- parsed shapes

export interface SesSealInfo {
  readonly header: { readonly id: string; readonly version: number; readonly vid: string };
  /** 电子印章编码. */
  readonly esID: string;
  readonly property: {
    readonly type: number;
    readonly name: string;
    readonly certListType: number;
    /** DER of each certificate allowed to sign with this seal (certListType 1). */
    readonly certList: readonly Buffer[];
    readonly createDate: Date;
    readonly validStart: Date;
    readonly validEnd: Date;
  };
  readonly picture: {
    readonly type: string;
    readonly data: Buffer;
    readonly widthMm: number;
    readonly heightMm: number;
  };
  /** Raw DER of extDatas when present (not interpreted). */
  readonly extDatas: Buffer | undefined;
}

export interface ParsedSeal {
  readonly der: Buffer;
  /** Exact DER(SES_SealInfo): the bytes the maker signed. */
  readonly sealInfoDer: Buffer;
  readonly sealInfo: SesSealInfo;
  /** The maker's (制章者) certificate DER. */
  readonly makerCertificate: Buffer;
  readonly signAlgID: string;
  /** DER SM2 signature `SEQUENCE { r, s }` over `sealInfoDer`. */
  readonly signedValue: Buffer;
}

export interface ParsedSesSignature {
  readonly der: Buffer;
  /** Exact DER(TBS_Sign): the bytes the signer signed. */
  readonly tbsDer: Buffer;
  readonly version: number;
  readonly seal: ParsedSeal;
  readonly timeInfo: Date;
  readonly dataHash: Buffer;
  readonly propertyInfo: string;
  readonly extDatas: Buffer | undefined;
  /** The signer's (签章者) certificate DER. */
  readonly signerCertificate: Buffer;
  readonly signatureAlgID: string;
  /** DER SM2 signature over `tbsDer`. */
  readonly signature: Buffer;
  readonly timeStamp: Buffer | undefined;
}

// ---------------------------------------------------------------- parsing

function readSealInfo(r: Reader): SesSealInfo {
  const h = r.sequence('SES_Header');
  const header = { id: h.ia5('header.id'), version: h.int('header.version'), vid: h.ia5('header.vid') };
  h.done('SES_Header');
  if (header.id !== SES_HEADER_ID) throw malformed(`header.id 应为 ES，实为 ${header.id}`);
  if (header.version !== SES_VERSION) throw malformed(`只支持第 4 版印章，实为第 ${header.version} 版`);
  const esID = r.ia5('esID');

  const p = r.sequence('SES_ESPropertyInfo');
  const type = p.int('property.type');
  const name = p.utf8('property.name');
  const certListType = p.int('property.certListType');
  if (certListType !== SES_CERT_LIST_CERTIFICATES) {
    throw malformed(`只支持 certListType 1（证书列表），实为 ${certListType}`);
  }
  const list = p.sequence('property.certList');
  const certList: Buffer[] = [];
  while (!list.atEnd) certList.push(list.octets('property.certList 中的证书'));
  if (certList.length === 0) throw malformed('property.certList 为空');
  const property = {
    type,
    name,
    certListType,
    certList,
    createDate: p.time('property.createDate'),
    validStart: p.time('property.validStart'),
    validEnd: p.time('property.validEnd'),
  };
  p.done('SES_ESPropertyInfo');

  const pic = r.sequence('SES_ESPictrueInfo');
  const picture = {
    type: pic.ia5('picture.type'),
    data: pic.octets('picture.data'),
    widthMm: pic.int('picture.width'),
    heightMm: pic.int('picture.height'),
  };
  pic.done('SES_ESPictrueInfo');
  const extDatas = r.atEnd ? undefined : r.raw(DER_TAG.SEQUENCE, 'extDatas');
  r.done('SES_SealInfo');
  return { header, esID, property, picture, extDatas };
}

function readSeal(r: Reader, der: Buffer): ParsedSeal {
  const sealInfoDer = r.raw(DER_TAG.SEQUENCE, 'SES_SealInfo');
  const { reader } = Reader.top(Buffer.from(sealInfoDer), 'SES_SealInfo');
  const sealInfo = readSealInfo(reader);
  const makerCertificate = r.octets('SESeal.cert');
  const signAlgID = r.oid('SESeal.signAlgID');
  const signedValue = r.bits('SESeal.signedValue');
  r.done('SESeal');
  return { der, sealInfoDer, sealInfo, makerCertificate, signAlgID, signedValue };
}

/** Parses a DER SESeal (Seal.esl). Throws `CRYPTO_INVALID_INPUT` on anything malformed. */
export function parseSeal(input: Uint8Array): ParsedSeal {
  const der = Buffer.from(input);
  return readSeal(Reader.top(der, 'SESeal').reader, der);
}

/** Parses a DER SES_Signature (SignedValue.dat). Throws `CRYPTO_INVALID_INPUT` when malformed. */
export function parseSesSignature(input: Uint8Array): ParsedSesSignature {
  const der = Buffer.from(input);
  const { reader: outer } = Reader.top(der, 'SES_Signature');
  const tbsDer = outer.raw(DER_TAG.SEQUENCE, 'TBS_Sign');
  const signerCertificate = outer.octets('SES_Signature.cert');
  const signatureAlgID = outer.oid('SES_Signature.signatureAlgID');
  const signature = outer.bits('SES_Signature.signature');
  let timeStamp: Buffer | undefined;
  if (!outer.atEnd) {
    const ts = new Reader(der, outer.tlv(TAG.CONTEXT_0, 'timeStamp'));
    timeStamp = ts.bits('timeStamp');
    ts.done('timeStamp');
  }
  outer.done('SES_Signature');

  const { reader: tbs } = Reader.top(Buffer.from(tbsDer), 'TBS_Sign');
  const version = tbs.int('TBS_Sign.version');
  if (version !== SES_VERSION) throw malformed(`只支持第 4 版签章，实为第 ${version} 版`);
  const sealDer = tbs.raw(DER_TAG.SEQUENCE, 'eseal');
  const seal = parseSeal(sealDer);
  const timeInfo = tbs.time('TBS_Sign.timeInfo');
  const dataHash = tbs.bits('TBS_Sign.dataHash');
  if (dataHash.length !== SM3_LENGTH) throw malformed('dataHash 应为 32 字节的 SM3 杂凑值');
  const propertyInfo = tbs.ia5('TBS_Sign.propertyInfo');
  const extDatas = tbs.atEnd ? undefined : tbs.raw(TAG.CONTEXT_0, 'TBS_Sign.extDatas');
  tbs.done('TBS_Sign');
  return {
    der,
    tbsDer,
    version,
    seal,
    timeInfo,
    dataHash,
    propertyInfo,
    extDatas,
    signerCertificate,
    signatureAlgID,
    signature,
    timeStamp,
  };
}

// ---------------------------------------------------------------- encoding (low level)

export interface SealInfoFields {
  readonly vid: string;
  readonly esID: string;
  readonly type: number;
  readonly name: string;
  readonly certList: readonly Uint8Array[];
  readonly createDate: Date;
  readonly validStart: Date;
  readonly validEnd: Date;
  readonly picture: {
    readonly type: string;
    readonly data: Uint8Array;
    readonly widthMm: number;
    readonly heightMm: number;
  };
}

export function encodeSealInfo(f: SealInfoFields): Buffer {
  return seq(
    seq(ia5(SES_HEADER_ID, 'header.id'), int(SES_VERSION), ia5(f.vid, '厂商标识 vid')),
    ia5(f.esID, '印章编码 esID'),
    seq(
      int(f.type),
      utf8(f.name),
      int(SES_CERT_LIST_CERTIFICATES),
      seq(...f.certList.map((c) => octets(c))),
      generalizedTime(f.createDate, '印章制作日期'),
      generalizedTime(f.validStart, '印章有效起始日期'),
      generalizedTime(f.validEnd, '印章有效终止日期'),
    ),
    seq(
      ia5(f.picture.type, '图片类型'),
      octets(f.picture.data),
      int(f.picture.widthMm),
      int(f.picture.heightMm),
    ),
  );
}

export function encodeSeal(f: {
  sealInfoDer: Uint8Array;
  makerCertificate: Uint8Array;
  signedValue: Uint8Array;
}): Buffer {
  return seq(f.sealInfoDer, octets(f.makerCertificate), oid(OID.sm2WithSm3), bits(f.signedValue));
}

export function encodeTbsSign(f: {
  seal: Uint8Array;
  time: Date;
  dataHash: Uint8Array;
  propertyInfo: string;
}): Buffer {
  return seq(
    int(SES_VERSION),
    f.seal,
    generalizedTime(f.time, '签章时间'),
    bits(f.dataHash),
    ia5(f.propertyInfo, '签章属性 propertyInfo'),
  );
}

export function encodeSesSignature(f: {
  tbsDer: Uint8Array;
  signerCertificate: Uint8Array;
  signature: Uint8Array;
}): Buffer {
  return seq(f.tbsDer, octets(f.signerCertificate), oid(OID.sm2WithSm3), bits(f.signature));
}

// ---------------------------------------------------------------- making a seal and signing

function invalid(message: string): AppError {
  return new AppError('CRYPTO_INVALID_INPUT', message);
}

function certificateOf(input: ParsedCertificate | Uint8Array | string, what: string): ParsedCertificate {
  if (typeof input === 'string' || input instanceof Uint8Array) return parseCertificate(input);
  if (input !== null && typeof input === 'object' && Buffer.isBuffer(input.der)) return input;
  throw invalid(`${what}应为 PEM、DER 或已解析的证书`);
}

function within(t: Date, start: Date, end: Date): boolean {
  return t.getTime() >= start.getTime() && t.getTime() <= end.getTime();
}

/** GeneralizedTime keeps whole seconds; truncating first keeps checks equal to what is stored. */
function toSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export interface CreateSealOptions {
  /** The maker's key: the province seal root CA (制章者). */
  readonly makerSigner: Signer;
  readonly makerCertificate: ParsedCertificate | Uint8Array | string;
  /** The certificate of the key that will sign with this seal (签章者), put in certList. */
  readonly sealCertificate: ParsedCertificate | Uint8Array | string;
  /** 印章名称, e.g. config `province.sealName`. */
  readonly name: string;
  /** The seal picture (seal-image.ts `sealPng`). */
  readonly picturePng: Uint8Array;
  readonly validity: { readonly start: Date; readonly end: Date };
  /** Printed size of the picture; a 42 mm 公章 by default. */
  readonly pictureSizeMm?: { readonly width: number; readonly height: number };
  /** 电子印章编码; the seal certificate's serial number when omitted. */
  readonly esID?: string;
  /** Vendor id in the header. */
  readonly vid?: string;
  readonly createdAt?: Date;
}

/** Makes and signs a GB/T 38540 v4 SESeal; returns its DER (the OFD's Seal.esl). */
export async function createSeal(options: CreateSealOptions): Promise<Buffer> {
  const maker = certificateOf(options.makerCertificate, '制章者证书');
  const sealCert = certificateOf(options.sealCertificate, '签章者证书');
  const { makerSigner, name, picturePng, validity } = options;
  if (makerSigner.algorithm !== 'SM2-SM3' || !makerSigner.publicKey.equals(maker.publicKey65)) {
    throw invalid('制章者签名密钥与制章者证书中的公钥不一致');
  }
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 100) {
    throw invalid('印章名称应为 1–100 个字符');
  }
  if (!(picturePng instanceof Uint8Array) || !PNG_MAGIC.equals(Buffer.from(picturePng.subarray(0, 8)))) {
    throw invalid('印章图片应为 PNG');
  }
  const start = toSecond(validity.start);
  const end = toSecond(validity.end);
  const createdAt = toSecond(options.createdAt ?? new Date());
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
    throw invalid('印章有效期不正确：终止日期必须晚于起始日期');
  }
  // A seal usable after its signer's certificate expires could only produce signatures
  // that fail verification; refuse to make one.
  if (
    !within(start, sealCert.notBefore, sealCert.notAfter) ||
    !within(end, sealCert.notBefore, sealCert.notAfter)
  ) {
    throw invalid('印章有效期超出签章者证书的有效期');
  }
  if (!within(createdAt, maker.notBefore, maker.notAfter)) throw invalid('制章时制章者证书不在有效期内');
  const size = options.pictureSizeMm ?? { width: 42, height: 42 };
  for (const v of [size.width, size.height]) {
    if (!Number.isInteger(v) || v < 1 || v > 1000) throw invalid('印章图片尺寸应为 1–1000 毫米的整数');
  }
  const sealInfoDer = encodeSealInfo({
    vid: options.vid ?? 'roadcert',
    esID: options.esID ?? sealCert.serialHex,
    type: SES_SEAL_TYPE_ORGANIZATION,
    name,
    certList: [sealCert.der],
    createDate: createdAt,
    validStart: start,
    validEnd: end,
    picture: { type: 'PNG', data: picturePng, widthMm: size.width, heightMm: size.height },
  });
  const signedValue = await makerSigner.sign(sealInfoDer);
  return encodeSeal({ sealInfoDer, makerCertificate: maker.der, signedValue });
}

export interface SignDataOptions {
  /** DER SESeal from `createSeal`. */
  readonly seal: Uint8Array;
  readonly signer: Signer;
  readonly signerCertificate: ParsedCertificate | Uint8Array | string;
  /** SM3 of the protected data (in OFD: of Signature.xml). */
  readonly dataHash: Uint8Array;
  /** ASCII; in OFD the path of Signature.xml. */
  readonly propertyInfo: string;
  readonly time: Date;
}

/** Signs with a seal; returns DER SES_Signature (the OFD's SignedValue.dat). */
export async function signData(options: SignDataOptions): Promise<Buffer> {
  const { signer, dataHash, propertyInfo } = options;
  const seal = parseSeal(options.seal);
  const cert = certificateOf(options.signerCertificate, '签章者证书');
  const time = toSecond(options.time);
  if (!(dataHash instanceof Uint8Array) || dataHash.length !== SM3_LENGTH) {
    throw invalid('dataHash 应为 32 字节的 SM3 杂凑值');
  }
  if (signer.algorithm !== 'SM2-SM3' || !signer.publicKey.equals(cert.publicKey65)) {
    throw invalid('签章者签名密钥与签章者证书中的公钥不一致');
  }
  if (!seal.sealInfo.property.certList.some((c) => c.equals(cert.der))) {
    throw invalid('签章者证书不在该印章的证书列表中');
  }
  // Fail closed: never put our signature on a seal whose own signature does not hold.
  if (!sealSignatureValid(seal)) throw invalid('印章的制章者签名无效');
  const { validStart, validEnd } = seal.sealInfo.property;
  if (!within(time, validStart, validEnd)) throw invalid('签章时间不在印章有效期内');
  if (!within(time, cert.notBefore, cert.notAfter)) throw invalid('签章时间不在签章者证书有效期内');
  const tbsDer = encodeTbsSign({ seal: seal.der, time, dataHash, propertyInfo });
  const signature = await signer.sign(tbsDer);
  return encodeSesSignature({ tbsDer, signerCertificate: cert.der, signature });
}

// ---------------------------------------------------------------- verification

/**
 * Why a signature was refused, checked in this order (the first failure is reported):
 * - `MALFORMED`: not a DER v4 SES_Signature / SESeal, or a certificate inside does not parse.
 * - `UNSUPPORTED_ALGORITHM`: a signature algorithm other than SM2-with-SM3.
 * - `DATA_HASH_MISMATCH`: dataHash is not SM3 of the data (or the expected hash).
 * - `SIGNATURE_INVALID`: the signer's signature over TBS_Sign does not verify.
 * - `SIGNER_NOT_IN_SEAL`: the signer's certificate is not in the seal's certList.
 * - `SEAL_SIGNATURE_INVALID`: the maker's signature over SES_SealInfo does not verify.
 * - `CERTIFICATE_NOT_TRUSTED`: the maker's or signer's certificate is neither a trusted
 *   root nor issued by one.
 * - `SEAL_OUTSIDE_VALIDITY`: the signing time is outside the seal's validStart–validEnd.
 * - `CERTIFICATE_OUTSIDE_VALIDITY`: the signer's certificate at the signing time, or the
 *   maker's at the seal's createDate, is outside its validity.
 */
export type SesFailureReason =
  | 'MALFORMED'
  | 'UNSUPPORTED_ALGORITHM'
  | 'DATA_HASH_MISMATCH'
  | 'SIGNATURE_INVALID'
  | 'SIGNER_NOT_IN_SEAL'
  | 'SEAL_SIGNATURE_INVALID'
  | 'CERTIFICATE_NOT_TRUSTED'
  | 'SEAL_OUTSIDE_VALIDITY'
  | 'CERTIFICATE_OUTSIDE_VALIDITY';

export type SesVerdict =
  | { readonly ok: true; readonly signature: ParsedSesSignature }
  | { readonly ok: false; readonly reason: SesFailureReason; readonly detail: string };

export interface VerifySesOptions {
  /** The protected data (hashed with SM3 here) … */
  readonly data?: Uint8Array;
  /** … or its SM3 hash. */
  readonly dataHash?: Uint8Array;
  readonly trustedRoots: readonly (ParsedCertificate | Uint8Array | string)[];
}

function sealSignatureValid(seal: ParsedSeal): boolean {
  try {
    const maker = parseCertificate(seal.makerCertificate);
    return sm2Verify(maker.publicKey65, seal.sealInfoDer, seal.signedValue);
  } catch {
    return false;
  }
}

function chainedToTrustedRoot(cert: ParsedCertificate, roots: readonly ParsedCertificate[]): boolean {
  return roots.some((root) => {
    if (root.der.equals(cert.der)) return true;
    try {
      return root.isCA && verifyCertificateSignature(cert, root);
    } catch {
      return false;
    }
  });
}

const refuse = (reason: SesFailureReason, detail: string): SesVerdict => ({ ok: false, reason, detail });

/**
 * Verifies a DER SES_Signature. Never throws: every problem, including bad options, comes
 * back as `{ ok: false, reason, detail }`. Validity is judged at the signing time the signer
 * put in `timeInfo` (there is no trusted timestamp yet), the maker's at the seal's createDate.
 */
export function verifySesSignature(der: Uint8Array, options: VerifySesOptions): SesVerdict {
  try {
    return verify(der, options);
  } catch (cause) {
    return refuse('MALFORMED', cause instanceof Error ? cause.message : String(cause));
  }
}

function verify(der: Uint8Array, options: VerifySesOptions): SesVerdict {
  let parsed: ParsedSesSignature;
  let signerCert: ParsedCertificate;
  let makerCert: ParsedCertificate;
  try {
    parsed = parseSesSignature(der);
    signerCert = parseCertificate(parsed.signerCertificate);
    makerCert = parseCertificate(parsed.seal.makerCertificate);
  } catch (cause) {
    return refuse('MALFORMED', cause instanceof Error ? cause.message : String(cause));
  }
  const roots: ParsedCertificate[] = [];
  for (const r of options?.trustedRoots ?? []) {
    try {
      roots.push(certificateOf(r, '信任根证书'));
    } catch {
      // An unusable trust anchor trusts nothing; it cannot make the verdict more lenient.
    }
  }
  if (parsed.signatureAlgID !== OID.sm2WithSm3 || parsed.seal.signAlgID !== OID.sm2WithSm3) {
    return refuse(
      'UNSUPPORTED_ALGORITHM',
      `签名算法 ${parsed.signatureAlgID} / ${parsed.seal.signAlgID} 不是 SM2-with-SM3`,
    );
  }

  const expected =
    options?.data instanceof Uint8Array
      ? sm3(options.data)
      : options?.dataHash instanceof Uint8Array
        ? Buffer.from(options.dataHash)
        : undefined;
  if (expected === undefined)
    return refuse('DATA_HASH_MISMATCH', '未提供原文或原文杂凑值，无法比对 dataHash');
  if (!expected.equals(parsed.dataHash))
    return refuse('DATA_HASH_MISMATCH', 'dataHash 与原文的 SM3 杂凑值不符');

  if (!sm2Verify(signerCert.publicKey65, parsed.tbsDer, parsed.signature)) {
    return refuse('SIGNATURE_INVALID', '签章者对 TBS_Sign 的签名验证未通过');
  }
  const { property } = parsed.seal.sealInfo;
  if (!property.certList.some((c) => c.equals(signerCert.der))) {
    return refuse('SIGNER_NOT_IN_SEAL', '签章者证书不在印章的签章者证书列表中');
  }
  if (!sm2Verify(makerCert.publicKey65, parsed.seal.sealInfoDer, parsed.seal.signedValue)) {
    return refuse('SEAL_SIGNATURE_INVALID', '制章者对印章信息的签名验证未通过');
  }
  if (!chainedToTrustedRoot(makerCert, roots)) {
    return refuse('CERTIFICATE_NOT_TRUSTED', '制章者证书不由受信任的根证书签发');
  }
  if (!chainedToTrustedRoot(signerCert, roots)) {
    return refuse('CERTIFICATE_NOT_TRUSTED', '签章者证书不由受信任的根证书签发');
  }
  const t = parsed.timeInfo;
  if (!within(t, property.validStart, property.validEnd)) {
    return refuse('SEAL_OUTSIDE_VALIDITY', '签章时间不在印章有效期内');
  }
  if (!within(t, signerCert.notBefore, signerCert.notAfter)) {
    return refuse('CERTIFICATE_OUTSIDE_VALIDITY', '签章时间不在签章者证书有效期内');
  }
  if (!within(property.createDate, makerCert.notBefore, makerCert.notAfter)) {
    return refuse('CERTIFICATE_OUTSIDE_VALIDITY', '制章时间不在制章者证书有效期内');
  }
  return { ok: true, signature: parsed };
}
