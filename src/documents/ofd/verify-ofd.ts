import { sm3 } from '../../crypto/sm3.ts';
import { type CertificateSubject, type ParsedCertificate, parseCertificate } from '../../crypto/x509.ts';
import { type ParsedSesSignature, type SesFailureReason, verifySesSignature } from '../seal/ses.ts';
import { OFD_ENTRY, PackageError, resolveLoc, SM2_SM3_OID, SM3_OID, unpackOfd } from './package.ts';
import { OFD_NS, ofdChild, ofdChildren, parseXml, type XmlElement } from './xml.ts';

/**
 * Verifies a sealed OFD package as `signOfd` writes it (one seal signature). Never throws.
 *
 * Failure codes (a closed list; several can be reported at once):
 * - `PACKAGE_MALFORMED`: not a readable ZIP, duplicate or unsafe entry names, OFD.xml or a
 *   signature file missing or not well-formed, or a location that leaves the package.
 * - `NOT_SIGNED`: OFD.xml has no Signatures, or Signatures.xml lists none.
 * - `SIGNATURE_COUNT_UNSUPPORTED`: more than one signature (not produced by roadcert).
 * - `UNSUPPORTED_SIGNATURE_TYPE`: a signature whose Type is not `Seal`.
 * - `UNSUPPORTED_ALGORITHM`: CheckMethod is not SM3, SignatureMethod not SM2-with-SM3 (or
 *   the SES structure says otherwise).
 * - `REFERENCED_FILE_MISSING`: a Reference names a file the package does not hold.
 * - `REFERENCE_MISMATCH`: the SM3 of a file differs from its CheckValue (`path` names it).
 * - `UNREFERENCED_FILE`: a file not covered by the signature, e.g. added after signing.
 * - `SIGNATURE_XML_CHANGED`: SM3(Signature.xml) differs from the signed dataHash.
 * - `PROPERTY_INFO_MISMATCH`: the signed propertyInfo is not this Signature.xml's path.
 * - `SEAL_FILE_MISMATCH`: Seal.esl is not the seal inside the signature.
 * - `SIGNATURE_TIME_MISMATCH`: SignatureDateTime is not the signed timeInfo.
 * - the `verifySesSignature` reasons (`MALFORMED`, `SIGNATURE_INVALID`,
 *   `CERTIFICATE_NOT_TRUSTED`, …) for SignedValue.dat, except `DATA_HASH_MISMATCH`, which
 *   is reported as `SIGNATURE_XML_CHANGED`.
 *
 * `signer` and `customData` are returned only when the package verifies: data read from a
 * refused document must not be mistaken for attested data.
 */

export type OfdFailureCode =
  | 'PACKAGE_MALFORMED'
  | 'NOT_SIGNED'
  | 'SIGNATURE_COUNT_UNSUPPORTED'
  | 'UNSUPPORTED_SIGNATURE_TYPE'
  | 'REFERENCED_FILE_MISSING'
  | 'REFERENCE_MISMATCH'
  | 'UNREFERENCED_FILE'
  | 'SIGNATURE_XML_CHANGED'
  | 'PROPERTY_INFO_MISMATCH'
  | 'SEAL_FILE_MISMATCH'
  | 'SIGNATURE_TIME_MISMATCH'
  | Exclude<SesFailureReason, 'DATA_HASH_MISMATCH'>;

export interface OfdFailure {
  readonly code: OfdFailureCode;
  /** Chinese, for people. */
  readonly message: string;
  /** The package path concerned, when there is one. */
  readonly path?: string;
}

export interface OfdSignerInfo {
  /** 印章名称 and 电子印章编码 from the seal. */
  readonly sealName: string;
  readonly esID: string;
  /** The signer's (签章者) certificate. */
  readonly subject: CertificateSubject;
  readonly serialHex: string;
  /** timeInfo: the time the signer claims (no timestamp token yet). */
  readonly signedAt: Date;
}

/** Who signed, from a verified SES signature (OFD and PDF alike). */
export function signerInfo(parsed: ParsedSesSignature): OfdSignerInfo {
  const cert = parseCertificate(parsed.signerCertificate);
  return {
    sealName: parsed.seal.sealInfo.property.name,
    esID: parsed.seal.sealInfo.esID,
    subject: cert.subject,
    serialHex: cert.serialHex,
    signedAt: parsed.timeInfo,
  };
}

export interface OfdVerdict {
  readonly ok: boolean;
  readonly failures: readonly OfdFailure[];
  readonly signer?: OfdSignerInfo;
  /** DocInfo/CustomDatas of OFD.xml. */
  readonly customData?: Record<string, string>;
}

export interface VerifyOfdOptions {
  readonly trustedRoots: readonly (ParsedCertificate | Uint8Array | string)[];
  /** Upper bound on the unpacked size; see `MAX_UNPACKED_BYTES`. */
  readonly maxBytes?: number;
}

/** Raised inside the check to stop at a structural failure; never leaves this module. */
class Stop extends Error {
  constructor(readonly failure: OfdFailure) {
    super(failure.message);
  }
}

const stop = (code: OfdFailureCode, message: string, path?: string): never => {
  throw new Stop(path === undefined ? { code, message } : { code, message, path });
};

export function verifyOfd(bytes: Uint8Array, options: VerifyOfdOptions): OfdVerdict {
  const failures: OfdFailure[] = [];
  try {
    return check(bytes, options, failures);
  } catch (cause) {
    if (cause instanceof Stop) failures.push(cause.failure);
    else {
      const detail = cause instanceof Error ? cause.message : String(cause);
      failures.push({ code: 'PACKAGE_MALFORMED', message: `无法解析 OFD 文档：${detail}` });
    }
    return { ok: false, failures };
  }
}

function check(bytes: Uint8Array, options: VerifyOfdOptions, failures: OfdFailure[]): OfdVerdict {
  if (!(bytes instanceof Uint8Array)) stop('PACKAGE_MALFORMED', 'OFD 文档应为字节数据');
  let files: Map<string, Uint8Array>;
  try {
    files = unpackOfd(bytes, options?.maxBytes);
  } catch (cause) {
    return stop('PACKAGE_MALFORMED', cause instanceof PackageError ? cause.message : '无法读取 OFD 压缩包');
  }

  const xmlAt = (path: string, rootName: string): XmlElement => {
    const data = files.get(path);
    if (!data) return stop('PACKAGE_MALFORMED', `缺少文件 ${path}`, path);
    let root: XmlElement;
    try {
      root = parseXml(data);
    } catch (cause) {
      return stop('PACKAGE_MALFORMED', `${path} 不是格式正确的 XML：${(cause as Error).message}`, path);
    }
    if (root.ns !== OFD_NS || root.local !== rootName) {
      stop('PACKAGE_MALFORMED', `${path} 的根元素应为 OFD 命名空间的 ${rootName}`, path);
    }
    return root;
  };
  const locate = (loc: string | undefined, base: string, what: string): string => {
    const path = loc === undefined || loc.trim() === '' ? undefined : resolveLoc(loc, base);
    if (path === undefined) return stop('PACKAGE_MALFORMED', `${base} 中${what}的路径缺失或不合法`, base);
    return path;
  };

  const ofd = xmlAt(OFD_ENTRY, 'OFD');
  const bodies = ofdChildren(ofd, 'DocBody');
  if (bodies.length !== 1) stop('PACKAGE_MALFORMED', 'OFD.xml 应含且只含一个 DocBody', OFD_ENTRY);
  const body = bodies[0]!;
  const customData = readCustomData(body);

  const signaturesEntry = ofdChildren(body, 'Signatures');
  if (signaturesEntry.length === 0) stop('NOT_SIGNED', 'OFD 文档没有签章', OFD_ENTRY);
  if (signaturesEntry.length > 1) stop('PACKAGE_MALFORMED', 'DocBody 中有多个 Signatures', OFD_ENTRY);
  const signaturesPath = locate(signaturesEntry[0]!.text, OFD_ENTRY, '签名列表');
  const signatureList = ofdChildren(xmlAt(signaturesPath, 'Signatures'), 'Signature');
  if (signatureList.length === 0) stop('NOT_SIGNED', '签名列表为空', signaturesPath);
  if (signatureList.length > 1) {
    stop(
      'SIGNATURE_COUNT_UNSUPPORTED',
      `文档有 ${signatureList.length} 个签名，目前只支持一个`,
      signaturesPath,
    );
  }
  const entry = signatureList[0]!;
  const type = entry.attributes.get('Type') ?? 'Seal';
  if (type !== 'Seal')
    stop('UNSUPPORTED_SIGNATURE_TYPE', `签名类型 ${type} 不是电子签章（Seal）`, signaturesPath);

  const signaturePath = locate(entry.attributes.get('BaseLoc'), signaturesPath, '签名描述文件');
  const signature = xmlAt(signaturePath, 'Signature');
  const signedInfo = ofdChild(signature, 'SignedInfo');
  if (!signedInfo) return stop('PACKAGE_MALFORMED', '签名描述文件缺少 SignedInfo', signaturePath);
  const method = ofdChild(signedInfo, 'SignatureMethod')?.text.trim();
  if (method !== SM2_SM3_OID) {
    stop('UNSUPPORTED_ALGORITHM', `签名算法 ${method ?? '（缺失）'} 不是 SM2-with-SM3`, signaturePath);
  }
  const references = ofdChild(signedInfo, 'References');
  if (!references) return stop('PACKAGE_MALFORMED', '签名描述文件缺少 References', signaturePath);
  const checkMethod = references.attributes.get('CheckMethod');
  if (checkMethod !== SM3_OID) {
    stop('UNSUPPORTED_ALGORITHM', `杂凑算法 ${checkMethod ?? '（缺失）'} 不是 SM3`, signaturePath);
  }
  const signedValuePath = locate(ofdChild(signature, 'SignedValue')?.text, signaturePath, '签名值');
  const sealEl = ofdChild(signedInfo, 'Seal');
  const sealPath = locate(sealEl && ofdChild(sealEl, 'BaseLoc')?.text, signaturePath, '电子印章');

  // Every Reference must match its file …
  const referenced = new Set<string>();
  for (const ref of ofdChildren(references, 'Reference')) {
    const path = locate(ref.attributes.get('FileRef'), signaturePath, '被保护文件');
    if (referenced.has(path)) stop('PACKAGE_MALFORMED', `文件 ${path} 被重复引用`, signaturePath);
    referenced.add(path);
    const data = files.get(path);
    if (!data) {
      failures.push({ code: 'REFERENCED_FILE_MISSING', message: `签名保护的文件 ${path} 不存在`, path });
      continue;
    }
    const checkValue = ofdChild(ref, 'CheckValue')?.text.trim() ?? '';
    const expected = /^[A-Za-z0-9+/]{43}=$/.test(checkValue) ? Buffer.from(checkValue, 'base64') : undefined;
    if (!expected || !sm3(data).equals(expected)) {
      failures.push({ code: 'REFERENCE_MISMATCH', message: `文件 ${path} 在签章后被修改`, path });
    }
  }
  // … and every file but the signature's own two must be covered by one.
  for (const path of files.keys()) {
    if (referenced.has(path) || path === signaturePath || path === signedValuePath) continue;
    failures.push({
      code: 'UNREFERENCED_FILE',
      message: `文件 ${path} 不在签章保护范围内（可能是签章后加入的）`,
      path,
    });
  }

  const signatureXml = files.get(signaturePath)!;
  const signedValue = files.get(signedValuePath);
  if (!signedValue) return stop('PACKAGE_MALFORMED', `缺少签名值文件 ${signedValuePath}`, signedValuePath);
  const ses = verifySesSignature(signedValue, {
    data: signatureXml,
    trustedRoots: options?.trustedRoots ?? [],
  });
  if (!ses.ok) {
    failures.push(
      ses.reason === 'DATA_HASH_MISMATCH'
        ? {
            code: 'SIGNATURE_XML_CHANGED',
            message: `签名描述文件 ${signaturePath} 在签章后被修改`,
            path: signaturePath,
          }
        : { code: ses.reason, message: `电子签章验证未通过：${ses.detail}`, path: signedValuePath },
    );
    return { ok: false, failures };
  }

  const parsed = ses.signature;
  if (resolveLoc(parsed.propertyInfo, '') !== signaturePath) {
    failures.push({
      code: 'PROPERTY_INFO_MISMATCH',
      message: `签章属性 ${parsed.propertyInfo} 与签名描述文件路径 /${signaturePath} 不符`,
      path: signedValuePath,
    });
  }
  const sealFile = files.get(sealPath);
  if (!sealFile || !parsed.seal.der.equals(sealFile)) {
    failures.push({
      code: 'SEAL_FILE_MISMATCH',
      message: `${sealPath} 与签章中的电子印章不一致`,
      path: sealPath,
    });
  }
  const written = ofdChild(signedInfo, 'SignatureDateTime')?.text.trim() ?? '';
  if (Date.parse(written) !== parsed.timeInfo.getTime()) {
    failures.push({
      code: 'SIGNATURE_TIME_MISMATCH',
      message: `SignatureDateTime（${written}）与签章时间不一致`,
      path: signaturePath,
    });
  }
  if (failures.length > 0) return { ok: false, failures };

  return {
    ok: true,
    failures,
    signer: signerInfo(parsed),
    customData,
  };
}

function readCustomData(body: XmlElement): Record<string, string> {
  const out = new Map<string, string>();
  const info = ofdChild(body, 'DocInfo');
  const list = info && ofdChild(info, 'CustomDatas');
  for (const item of list ? ofdChildren(list, 'CustomData') : []) {
    const name = item.attributes.get('Name');
    if (name === undefined || out.has(name)) {
      stop('PACKAGE_MALFORMED', 'CustomData 缺少 Name 或 Name 重复', OFD_ENTRY);
    }
    out.set(name!, item.text);
  }
  // fromEntries defines own properties, so a name such as `__proto__` is kept as data.
  return Object.fromEntries(out);
}
