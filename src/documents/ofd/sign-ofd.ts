import type { Signer } from '../../crypto/signer.ts';
import { sm3 } from '../../crypto/sm3.ts';
import type { ParsedCertificate } from '../../crypto/x509.ts';
import { AppError } from '../../errors.ts';
import { signData } from '../seal/ses.ts';
import {
  canonicalOrder,
  DOC_ROOT,
  OFD_ENTRY,
  type OfdFiles,
  packOfd,
  SEAL_FILE,
  SIGNATURE_XML,
  SIGNATURES_XML,
  SIGNED_VALUE,
  SIGNS_DIR,
  SM2_SM3_OID,
  SM3_OID,
} from './package.ts';
import { mm } from './write-ofd.ts';
import { element as el, OFD_NS, ofdChild, ofdChildren, parseXml, xmlFile } from './xml.ts';

/**
 * Seals an OFD package with a GB/T 38540 electronic seal, in the order of GB/T 33190 §18:
 *
 * 1. add `<ofd:Signatures>` to OFD.xml's DocBody;
 * 2. write Doc_0/Signs/Signatures.xml and Sign_0/Seal.esl;
 * 3. hash every file (all but Signature.xml and SignedValue.dat, which do not exist yet) with
 *    SM3 into `<ofd:References>`;
 * 4. write Signature.xml (Provider, SignatureMethod, SignatureDateTime, References,
 *    StampAnnot, Seal, SignedValue);
 * 5. SignedValue.dat = SES_Signature over SM3(Signature.xml), propertyInfo = its path.
 *
 * Only a package without signatures is accepted: adding a second signature to a sealed
 * document is not needed for certificates and would need the per-signature rules of §18.
 */

export interface SignOfdOptions {
  /** DER SESeal (`createSeal`). */
  readonly seal: Uint8Array;
  readonly signer: Signer;
  readonly signerCertificate: ParsedCertificate | Uint8Array | string;
  /** Signing time, written to SignatureDateTime and TBS_Sign.timeInfo (whole seconds). */
  readonly time: Date;
  /** Where the seal picture is shown: page index (0-based) and `[x, y, w, h]` in mm. */
  readonly stamp: {
    readonly pageIndex: number;
    readonly boundaryMm: readonly [number, number, number, number];
  };
  /** Provider Version attribute; omitted when not given. */
  readonly providerVersion?: string;
}

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', message);
}

/** `2025-06-01T08:00:00Z`: the same instant, to the second, as TBS_Sign.timeInfo. */
export function signatureDateTime(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

/** The ID of the page at `pageIndex` in Document.xml's Pages. */
function pageId(files: OfdFiles, pageIndex: number): string {
  const doc = files.get(DOC_ROOT);
  if (!doc) throw invalid(`OFD 包中缺少 ${DOC_ROOT}`);
  const root = parseXml(doc);
  const pages = root.ns === OFD_NS && root.local === 'Document' ? ofdChild(root, 'Pages') : undefined;
  const list = pages ? ofdChildren(pages, 'Page') : [];
  if (!Number.isInteger(pageIndex) || pageIndex < 0 || pageIndex >= list.length) {
    throw invalid(`签章页码 ${pageIndex} 超出文档页数 ${list.length}`);
  }
  const id = list[pageIndex]!.attributes.get('ID');
  if (!id || !/^[1-9][0-9]*$/.test(id)) throw invalid('Document.xml 中页面的 ID 不正确');
  return id;
}

/** OFD.xml with `<ofd:Signatures>` appended to DocBody (its last child in the schema). */
function withSignaturesEntry(ofdXml: Uint8Array): Buffer {
  const root = parseXml(ofdXml);
  const body = root.ns === OFD_NS && root.local === 'OFD' ? ofdChildren(root, 'DocBody') : [];
  if (body.length !== 1) throw invalid('本签章只支持含一个 DocBody 的 OFD.xml');
  if (ofdChildren(body[0]!, 'Signatures').length > 0) throw invalid('该 OFD 文档已经签章');
  // Textual insertion keeps every other byte of OFD.xml as the writer produced it.
  const source = Buffer.from(ofdXml).toString('utf8');
  const close = '</ofd:DocBody>';
  const at = source.indexOf(close);
  if (at < 0 || source.indexOf(close, at + 1) >= 0) throw invalid('OFD.xml 的 DocBody 须使用 ofd 前缀');
  const entry = el('ofd:Signatures', {}, `/${SIGNATURES_XML}`);
  return Buffer.from(source.slice(0, at) + entry + source.slice(at), 'utf8');
}

/** Signs `files` (from `buildOfd`) and returns the sealed package as ZIP bytes. */
export async function signOfd(files: OfdFiles, options: SignOfdOptions): Promise<Buffer> {
  const ofdXml = files.get(OFD_ENTRY);
  if (!ofdXml) throw invalid('OFD 包中缺少 OFD.xml');
  for (const path of files.keys()) {
    if (path.startsWith(SIGNS_DIR)) throw invalid(`OFD 包中已有签名文件 ${path}`);
  }
  const time = new Date(Math.floor(options.time.getTime() / 1000) * 1000);
  if (Number.isNaN(time.getTime())) throw invalid('签章时间不正确');
  const boundary = options.stamp?.boundaryMm;
  if (
    !Array.isArray(boundary) ||
    boundary.length !== 4 ||
    boundary.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0) ||
    boundary[2] === 0 ||
    boundary[3] === 0
  ) {
    throw invalid('印章位置应为 [x, y, 宽, 高] 毫米，宽高大于 0');
  }
  const pageRef = pageId(files, options.stamp.pageIndex);

  const out = new Map<string, Uint8Array>(files);
  out.set(OFD_ENTRY, withSignaturesEntry(ofdXml));
  const ns = { 'xmlns:ofd': OFD_NS };
  out.set(
    SIGNATURES_XML,
    xmlFile(
      el(
        'ofd:Signatures',
        ns,
        el('ofd:MaxSignId', {}, '1'),
        el('ofd:Signature', { ID: '1', Type: 'Seal', BaseLoc: `/${SIGNATURE_XML}` }),
      ),
    ),
  );
  out.set(SEAL_FILE, Buffer.from(options.seal));

  const references = canonicalOrder(out.keys()).map((path) =>
    el(
      'ofd:Reference',
      { FileRef: `/${path}` },
      el('ofd:CheckValue', {}, sm3(out.get(path)!).toString('base64')),
    ),
  );
  const signatureXml = xmlFile(
    el(
      'ofd:Signature',
      ns,
      el(
        'ofd:SignedInfo',
        {},
        el('ofd:Provider', { ProviderName: 'roadcert', Version: options.providerVersion }),
        el('ofd:SignatureMethod', {}, SM2_SM3_OID),
        el('ofd:SignatureDateTime', {}, signatureDateTime(time)),
        el('ofd:References', { CheckMethod: SM3_OID }, ...references),
        el('ofd:StampAnnot', { ID: '1', PageRef: pageRef, Boundary: boundary.map(mm).join(' ') }),
        el('ofd:Seal', {}, el('ofd:BaseLoc', {}, `/${SEAL_FILE}`)),
      ),
      el('ofd:SignedValue', {}, `/${SIGNED_VALUE}`),
    ),
  );
  out.set(SIGNATURE_XML, signatureXml);

  out.set(
    SIGNED_VALUE,
    await signData({
      seal: options.seal,
      signer: options.signer,
      signerCertificate: options.signerCertificate,
      dataHash: sm3(signatureXml),
      propertyInfo: `/${SIGNATURE_XML}`,
      time,
    }),
  );
  return packOfd(out);
}
