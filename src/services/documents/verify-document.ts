import { eq } from 'drizzle-orm';
import { sm3 } from '../../crypto/sm3.ts';
import { type ParsedCertificate, parseCertificate } from '../../crypto/x509.ts';
import { unpackOfd } from '../../documents/ofd/package.ts';
import { type OfdSignerInfo, verifyOfd } from '../../documents/ofd/verify-ofd.ts';
import { verifyPdf } from '../../documents/pdf/verify-pdf.ts';
import { todayInChina } from '../../domain/dates.ts';
import { isValidIdentifier, parseIdentifier } from '../../domain/identifiers.ts';
import type { CertificateStatus } from '../../domain/lifecycle.ts';
import { AppError } from '../../errors.ts';
import { certificates } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { Keyring, TrustMaterial } from '../keys/keyring.ts';
import { recordUsage } from '../verification/usage-events.ts';
import { verificationReasons } from '../verification/verify-code.ts';

type CertificateRow = typeof certificates.$inferSelect;

/**
 * Verification of a certificate document (OFD or PDF) with the published trust material only
 * (`GET /api/v1/trust`), plus — when a status source is given — the certificate's current status
 * (R-4.1 互认互通, R-4.4, R-6.5). Used by `POST /api/v1/documents/verify` and `roadcert verify`.
 *
 * The outcome is one of a closed list, checked in this order:
 * 1. `tampered`: any digest, signature, package or seal-validity failure, or the document's
 *    metadata disagreeing with the signed data it carries. `reasons` name what failed (the
 *    package path of the changed file, the ByteRange of a PDF …).
 * 2. `unknown_issuer`: the seal's certificates do not lead to the trusted province root.
 * 3. `status_unknown`: the seal holds, but the status was not looked up (offline) or could not
 *    be determined (unknown identifier, status source unreachable). Never guessed.
 * 4. `signature_valid_status_{revoked|superseded|expired|suspended}` or `valid`.
 *
 * `document` (what the sealed document itself says) is returned only when the seal holds:
 * data read from a refused document must not pass as attested.
 */

export const documentOutcomes = [
  'valid',
  'tampered',
  'unknown_issuer',
  'signature_valid_status_revoked',
  'signature_valid_status_superseded',
  'signature_valid_status_expired',
  'signature_valid_status_suspended',
  'status_unknown',
] as const;
export type DocumentOutcome = (typeof documentOutcomes)[number];

export type DocumentFormat = 'ofd' | 'pdf';
export type DocumentStatusState = 'valid' | 'superseded' | 'revoked' | 'expired' | 'suspended';

export interface VerdictReason {
  readonly code: string;
  /** Chinese, for people. */
  readonly message: string;
  /** The file inside the package, or the PDF part, concerned. */
  readonly path?: string;
}

/** What the sealed document states about itself (its CustomDatas / PDF metadata). */
export interface VerifiedDocument {
  identifier: string;
  version: number;
  kindCode: string;
  certificateNumber: string;
  issuerCode: string;
  issuerName: string;
  catalogVersion: string;
  templateId: string;
  issuedAt: string;
  signedDataSm3: string;
  /** Whether the certificate's signed data travels inside and matched `signedDataSm3`. */
  signedDataEmbedded: boolean;
  seal: { name: string; esID: string; certificateSerial: string; signedAt: string };
}

export interface DocumentStatus {
  state: DocumentStatusState;
  /** The version that replaced this one. */
  supersededBy?: string;
  /** When the status was determined. */
  at: string;
}

export interface DocumentVerdict {
  format: DocumentFormat;
  outcome: DocumentOutcome;
  reasons: VerdictReason[];
  document?: VerifiedDocument;
  status?: DocumentStatus;
  checkedAt: string;
}

/** What a status source answers for a document whose seal holds. */
export type StatusAnswer =
  | { known: true; state: DocumentStatusState; supersededBy?: string | null }
  | {
      known: false;
      code: 'CERTIFICATE_UNKNOWN' | 'DIGEST_MISMATCH' | 'STATUS_UNAVAILABLE';
      message: string;
    };

export type StatusLookup = (document: { identifier: string; signedDataSm3: string }) => Promise<StatusAnswer>;

export interface VerifyDocumentOptions {
  /** The published trust material (the province root is the only trust anchor). */
  trust: Pick<TrustMaterial, 'rootCertificate'>;
  /** Where the current status comes from; `'offline'` (or absent) checks the document only. */
  status?: StatusLookup | 'offline';
  now?: Date;
}

/** Largest upload accepted by the HTTP route and the CLI. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
/** Bound on what a package may unpack to (a 20 MB ZIP could otherwise expand without limit). */
export const MAX_UNPACKED_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** Metadata names written by the renderer; `identifier` and `signedDataSm3` are required. */
const METADATA_NAMES = [
  'identifier',
  'kindCode',
  'certificateNumber',
  'issuerCode',
  'issuerName',
  'catalogVersion',
  'templateId',
  'signedDataSm3',
  'issuedAt',
] as const;

const OFD_MAGIC = Buffer.from('504b0304', 'hex');
const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');

/** By content, never by file name: `PK\x03\x04` is an OFD package, `%PDF-` a PDF. */
export function detectDocumentFormat(bytes: Uint8Array): DocumentFormat | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 8));
  if (head.subarray(0, 4).equals(OFD_MAGIC)) return 'ofd';
  if (head.subarray(0, 5).equals(PDF_MAGIC)) return 'pdf';
  return null;
}

/** Failures that mean "the seal is genuine but not from a trusted root". */
const ISSUER_FAILURES: ReadonlySet<string> = new Set(['CERTIFICATE_NOT_TRUSTED']);

const statusOutcome: Record<Exclude<DocumentStatusState, 'valid'>, DocumentOutcome> = {
  revoked: 'signature_valid_status_revoked',
  superseded: 'signature_valid_status_superseded',
  expired: 'signature_valid_status_expired',
  suspended: 'signature_valid_status_suspended',
};
const statusReasonCode = {
  revoked: 'REVOKED',
  superseded: 'SUPERSEDED',
  expired: 'EXPIRED',
  suspended: 'SUSPENDED',
} as const;

/** What the format's verifier (verifyOfd / verifyPdf) found, plus the signed data the document carries. */
interface SealCheck {
  readonly ok: boolean;
  readonly failures: readonly VerdictReason[];
  readonly signer?: OfdSignerInfo;
  readonly customData?: Record<string, string>;
  /** The certificate's signed data embedded in the document, when there is one. */
  readonly signedData?: { readonly bytes: Uint8Array; readonly path: string };
}

/**
 * Verifies one document. Throws `DOCUMENT_UNRECOGNIZED` only for bytes that are neither an OFD
 * package nor a PDF; every other problem is a verdict.
 */
export async function verifyDocument(
  bytes: Uint8Array,
  options: VerifyDocumentOptions,
): Promise<DocumentVerdict> {
  const format = detectDocumentFormat(bytes);
  if (format === null) {
    throw new AppError('DOCUMENT_UNRECOGNIZED', '上传的内容不是 OFD 或 PDF 文档（按文件头识别）');
  }
  const now = options.now ?? new Date();
  const checkedAt = now.toISOString();
  const seal = format === 'ofd' ? checkOfd(bytes, options.trust) : await checkPdf(bytes, options.trust);

  if (!seal.ok) {
    const reasons = seal.failures.map(reasonOf);
    const issuerOnly = reasons.length > 0 && reasons.every((r) => ISSUER_FAILURES.has(r.code));
    return { format, outcome: issuerOnly ? 'unknown_issuer' : 'tampered', reasons, checkedAt };
  }

  const read = readDocument(seal);
  if (!read.ok) return { format, outcome: read.outcome, reasons: read.reasons, checkedAt };
  const { document } = read;

  if (options.status === undefined || options.status === 'offline') {
    return {
      format,
      outcome: 'status_unknown',
      reasons: [{ code: 'STATUS_NOT_CHECKED', message: '离线核验：文档签章有效，未查询证照当前状态' }],
      document,
      checkedAt,
    };
  }
  // A source that cannot answer says so (`STATUS_UNAVAILABLE`); a thrown error is a fault, not a verdict.
  const answer = await options.status({
    identifier: document.identifier,
    signedDataSm3: document.signedDataSm3,
  });
  if (!answer.known) {
    return {
      format,
      outcome: 'status_unknown',
      reasons: [{ code: answer.code, message: answer.message }],
      document,
      checkedAt,
    };
  }
  const status: DocumentStatus = {
    state: answer.state,
    ...(answer.state === 'superseded' && answer.supersededBy ? { supersededBy: answer.supersededBy } : {}),
    at: checkedAt,
  };
  if (answer.state === 'valid') return { format, outcome: 'valid', reasons: [], document, status, checkedAt };
  const code = statusReasonCode[answer.state];
  const message =
    answer.state === 'superseded' && status.supersededBy
      ? `${verificationReasons.SUPERSEDED}（最新版本标识 ${status.supersededBy}）`
      : verificationReasons[code];
  return {
    format,
    outcome: statusOutcome[answer.state],
    reasons: [{ code, message }],
    document,
    status,
    checkedAt,
  };
}

function reasonOf(f: VerdictReason): VerdictReason {
  return f.path === undefined ? { code: f.code, message: f.message } : f;
}

// ---------------------------------------------------------------- the seal, per format

/** Where an OFD carries the certificate's signed data (an attachment, GB/T 33190 Attachments). */
const OFD_ATTACHMENT = /^Doc_0\/Attachs\/(?:.*\/)?certificate\.json$/;

/**
 * The root parsed once per trust material rather than per check: certificate parsing is the
 * largest single cost of a verification. An unparsable root is passed on as is and trusts nothing.
 */
const parsedRoots = new Map<string, ParsedCertificate>();
function rootOf(pem: string): ParsedCertificate | string {
  let parsed = parsedRoots.get(pem);
  if (parsed === undefined) {
    try {
      parsed = parseCertificate(pem);
    } catch {
      return pem;
    }
    if (parsedRoots.size >= 8) parsedRoots.clear();
    parsedRoots.set(pem, parsed);
  }
  return parsed;
}

function checkOfd(bytes: Uint8Array, trust: VerifyDocumentOptions['trust']): SealCheck {
  const verdict = verifyOfd(bytes, {
    trustedRoots: [rootOf(trust.rootCertificate)],
    maxBytes: MAX_UNPACKED_DOCUMENT_BYTES,
  });
  if (!verdict.ok) return verdict;
  // verifyOfd has checked that every file is covered by the seal, so what is read here is attested.
  const files = unpackOfd(bytes, MAX_UNPACKED_DOCUMENT_BYTES);
  const found = [...files.keys()].filter((p) => OFD_ATTACHMENT.test(p));
  if (found.length === 0) return verdict;
  if (found.length > 1) {
    return {
      ok: false,
      failures: [{ code: 'PACKAGE_MALFORMED', message: `文档中有多份证照签名数据：${found.join('、')}` }],
    };
  }
  return { ...verdict, signedData: { bytes: files.get(found[0]!)!, path: found[0]! } };
}

async function checkPdf(bytes: Uint8Array, trust: VerifyDocumentOptions['trust']): Promise<SealCheck> {
  const { signedData, attachment, ...verdict } = await verifyPdf(bytes, {
    trustedRoots: [rootOf(trust.rootCertificate)],
    maxBytes: MAX_DOCUMENT_BYTES,
  });
  if (!verdict.ok || signedData === undefined) return verdict;
  return { ...verdict, signedData: { bytes: signedData, path: `附件 ${attachment?.name ?? ''}`.trim() } };
}

// ---------------------------------------------------------------- the document's own statements

type ReadResult =
  | { ok: true; document: VerifiedDocument }
  | { ok: false; outcome: DocumentOutcome; reasons: VerdictReason[] };

/**
 * The metadata of a document whose seal holds, checked against the signed data it carries:
 * a renderer bug or a document sealed with the wrong data must not pass as a certificate.
 */
function readDocument(seal: SealCheck): ReadResult {
  const meta = seal.customData ?? {};
  const value = (name: (typeof METADATA_NAMES)[number]) => {
    const v = Object.hasOwn(meta, name) ? meta[name] : undefined;
    return typeof v === 'string' ? v.trim() : '';
  };
  const identifier = value('identifier');
  const digest = value('signedDataSm3').toLowerCase();
  if (!isValidIdentifier(identifier) || !/^[0-9a-f]{64}$/.test(digest)) {
    return {
      ok: false,
      outcome: 'status_unknown',
      reasons: [
        {
          code: 'DOCUMENT_METADATA_MISSING',
          message: '文档签章有效，但缺少有效的电子证照标识或签名数据摘要，无法确定是哪一份电子证照',
        },
      ],
    };
  }

  let embedded = false;
  if (seal.signedData) {
    const { bytes, path } = seal.signedData;
    if (sm3(bytes).toString('hex') !== digest) {
      return tampered('SIGNED_DATA_MISMATCH', `内嵌的证照签名数据 ${path} 与文档声明的摘要不符`, path);
    }
    let signed: Record<string, unknown>;
    try {
      signed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    } catch {
      return tampered('SIGNED_DATA_MALFORMED', `内嵌的证照签名数据 ${path} 不是合法的 JSON`, path);
    }
    const kind = signed?.kind as { code?: unknown } | undefined;
    const mismatched = [
      signed?.identifier !== identifier ? '电子证照标识' : '',
      value('kindCode') !== '' && kind?.code !== value('kindCode') ? '证照类型代码' : '',
      value('certificateNumber') !== '' && signed?.certificateNumber !== value('certificateNumber')
        ? '证照编号'
        : '',
    ].filter(Boolean);
    if (mismatched.length > 0) {
      return tampered(
        'METADATA_MISMATCH',
        `文档元数据中的${mismatched.join('、')}与内嵌的证照签名数据不一致`,
        path,
      );
    }
    embedded = true;
  }

  const signer = seal.signer!;
  return {
    ok: true,
    document: {
      identifier,
      version: parseIdentifier(identifier).version,
      kindCode: value('kindCode'),
      certificateNumber: value('certificateNumber'),
      issuerCode: value('issuerCode'),
      issuerName: value('issuerName'),
      catalogVersion: value('catalogVersion'),
      templateId: value('templateId'),
      issuedAt: value('issuedAt'),
      signedDataSm3: digest,
      signedDataEmbedded: embedded,
      seal: {
        name: signer.sealName,
        esID: signer.esID,
        certificateSerial: signer.serialHex,
        signedAt: signer.signedAt.toISOString(),
      },
    },
  };
}

function tampered(code: string, message: string, path: string): ReadResult {
  return { ok: false, outcome: 'tampered', reasons: [{ code, message, path }] };
}

// ---------------------------------------------------------------- with the platform's own status

/** Who asked: a signed-in staff member, the operator's CLI, or an anonymous uploader. */
export type DocumentVerifier = Actor | null;

/**
 * The use case behind `POST /api/v1/documents/verify` and `roadcert verify` on the configured
 * database: the document against the province's trust material, then — unless `offline` — the
 * current status from the store. A check of a certificate the platform knows counts as a use of
 * it (`verify` usage event, 激活率); staff and the CLI also leave an audit record. Nothing is
 * written for a document that names no known certificate.
 */
export async function verifyCertificateDocument(
  ctx: ServiceContext,
  keyring: Keyring,
  verifier: DocumentVerifier,
  bytes: Uint8Array,
  opts: { offline?: boolean } = {},
): Promise<DocumentVerdict> {
  const trust = keyring.requireTrust();
  const now = ctx.clock.now();
  let matched: CertificateRow | undefined;
  const lookup: StatusLookup = async ({ identifier, signedDataSm3 }) => {
    const row = await findCertificate(ctx, identifier);
    if (!row)
      return { known: false, code: 'CERTIFICATE_UNKNOWN', message: verificationReasons.CERTIFICATE_UNKNOWN };
    if (row.signedDataDigest.toLowerCase() !== signedDataSm3) {
      return { known: false, code: 'DIGEST_MISMATCH', message: '文档与平台中该电子证照的签名数据不一致' };
    }
    matched = row;
    return { known: true, state: currentStatus(row, now), supersededBy: row.nextIdentifier };
  };
  const verdict = await verifyDocument(bytes, { trust, status: opts.offline ? 'offline' : lookup, now });

  if (matched) {
    const row = matched;
    await ctx.db.transaction(async (tx) => {
      await recordUsage(tx, {
        identifier: row.identifier,
        regionCode: row.regionCode,
        kindCode: row.kindCode,
        event: 'verify',
        at: now,
      });
      if (verifier) {
        await appendAudit(
          tx,
          verifier,
          {
            action: 'document.verify',
            regionCode: row.regionCode,
            targetType: 'certificate',
            targetId: row.identifier,
            outcome: verdict.outcome === 'valid' ? 'success' : 'failure',
            details: { format: verdict.format, outcome: verdict.outcome },
          },
          { at: now, requestId: ctx.requestId },
        );
      }
    });
  }
  return verdict;
}

/**
 * The status at `now`: the stored one, except that a version still in force whose validity
 * ended before today (Beijing) is expired even before the daily expiry job has marked it.
 */
export function currentStatus(
  row: Pick<CertificateRow, 'status' | 'validTo'>,
  now: Date,
): DocumentStatusState {
  const status = row.status as CertificateStatus;
  if (
    (status === 'valid' || status === 'suspended') &&
    row.validTo !== null &&
    row.validTo < todayInChina(now)
  ) {
    return 'expired';
  }
  return status;
}

async function findCertificate(ctx: ServiceContext, identifier: string): Promise<CertificateRow | undefined> {
  const [row] = await ctx.db.select().from(certificates).where(eq(certificates.identifier, identifier));
  return row;
}
