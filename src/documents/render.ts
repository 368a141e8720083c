import type { Signer } from '../crypto/signer.ts';
import { sm3, sm3Hex } from '../crypto/sm3.ts';
import type { ParsedCertificate } from '../crypto/x509.ts';
import { getKind } from '../domain/catalog/index.ts';
import type { CatalogContent } from '../domain/catalog/types.ts';
import { AppError } from '../errors.ts';
import { measureFont, subsetCjkFont } from './fonts/cjk-font.ts';
import {
  BOLD_FONT,
  type CertificatePage,
  certificatePageText,
  layoutCertificatePage,
  REGULAR_FONT,
} from './layout/certificate-page.ts';
import { getTemplate } from './layout/templates.ts';
import { signOfd } from './ofd/sign-ofd.ts';
import { buildOfd } from './ofd/write-ofd.ts';
import { buildSignedPdf } from './pdf/write-pdf.ts';
import { encodeQrPayload } from './qr/payload.ts';
import { qrPng, qrPrintSizeMm, qrSymbolInfo } from './qr/qr-image.ts';
import { parseSeal } from './seal/ses.ts';

/**
 * Renders a certificate's document (OFD or PDF) from its signed data, the catalog version it
 * was made under, and the seal. No clock, no database: the signing time is the certificate's
 * issuance time (`signedAt` in the signed data), so the same certificate always gives the same
 * file except for SM2 signature values (SM2 draws a fresh random k for every signature: the
 * document signature and the QR payload's signature). See docs/documents.md §Rendering.
 */

export const DOCUMENT_FORMATS = ['ofd', 'pdf'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

export const DOCUMENT_MEDIA_TYPES: Readonly<Record<DocumentFormat, string>> = {
  ofd: 'application/ofd',
  pdf: 'application/pdf',
};

/** The attached copy of the certificate's signed data (exact canonical bytes). */
export const SIGNED_DATA_ATTACHMENT = 'certificate.json';

/** What the certificate's signed data holds that the document needs (`CertificateAssertion`). */
export interface RenderableCertificate {
  readonly identifier: string;
  readonly kind: { readonly code: string; readonly name: string };
  readonly catalogVersion: number;
  readonly certificateNumber: string;
  readonly issuer: { readonly name: string; readonly code: string };
  readonly issueDate: string;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly face: Readonly<Record<string, unknown>>;
  /** ISO time the certificate was sealed: the document's signing time. */
  readonly signedAt: string;
}

export interface RenderCertificateInput {
  /** The parsed signed data … */
  readonly certificate: RenderableCertificate;
  /** … and its exact bytes, attached to the document and digested into the QR payload. */
  readonly signedData: Uint8Array;
  /** The content of catalog version `certificate.catalogVersion`. */
  readonly catalog: CatalogContent;
  readonly seal: {
    /** DER SESeal (GB/T 38540) holding the seal picture and `certificate`. */
    readonly der: Uint8Array;
    /** The key that sealed the certificate; its id names the seal in the QR payload. */
    readonly signer: Signer;
    readonly certificate: ParsedCertificate;
  };
  /** https base of the verification page the QR opens (`<base>/v#…`). */
  readonly verifyBaseUrl: string;
}

export interface RenderedDocument {
  readonly bytes: Buffer;
  readonly format: DocumentFormat;
  /** Printed side of the QR symbol and its version: a phone must read it from paper. */
  readonly qr: { readonly text: string; readonly sizeMm: number; readonly version: number };
  readonly page: CertificatePage;
}

const QR_IMAGE = 'qr';
const SEAL_IMAGE = 'seal';
/** Pixels per QR module: crisp at 0.5 mm modules (≈ 400 dpi). */
const QR_PX_PER_MODULE = 8;
const QR_MARGIN = 4;

export function isDocumentFormat(value: unknown): value is DocumentFormat {
  return typeof value === 'string' && (DOCUMENT_FORMATS as readonly string[]).includes(value);
}

export async function renderCertificate(
  input: RenderCertificateInput,
  format: DocumentFormat,
): Promise<RenderedDocument> {
  if (!isDocumentFormat(format)) throw new AppError('VALIDATION_FAILED', '文档格式应为 ofd 或 pdf');
  const { certificate, seal } = input;
  const signedAt = new Date(certificate.signedAt);
  if (Number.isNaN(signedAt.getTime())) throw new AppError('VALIDATION_FAILED', '证照签发时间不正确');
  const kind = getKind(input.catalog, certificate.kind.code);
  const template = getTemplate(kind.templateId);
  const parsedSeal = parseSeal(seal.der);
  const signedDataSm3 = sm3Hex(input.signedData);

  const qr = await encodeQrPayload(
    {
      identifier: certificate.identifier,
      signedDataDigest: signedDataSm3,
      issuedAt: signedAt,
      sealKeyId: seal.signer.keyId,
      sealCertificate: seal.certificate.pem,
    },
    seal.signer,
    { baseUrl: input.verifyBaseUrl },
  );
  const symbol = qrSymbolInfo(qr.text);
  const qrSizeMm = qrPrintSizeMm(qr.text, { margin: QR_MARGIN });
  const qrImage = await qrPng(qr.text, {
    sizePx: (symbol.modules + 2 * QR_MARGIN) * QR_PX_PER_MODULE,
    margin: QR_MARGIN,
  });

  const pageInput = {
    template,
    kind,
    codeTables: input.catalog.codeTables,
    certificate,
    sealName: parsedSeal.sealInfo.property.name,
    qr: { image: QR_IMAGE, sizeMm: qrSizeMm },
    seal: { image: SEAL_IMAGE, sizeMm: parsedSeal.sealInfo.picture.widthMm },
  };
  const text = certificatePageText(pageInput);
  const [regular, bold] = await Promise.all([
    subsetCjkFont('regular', text.regular),
    subsetCjkFont('bold', text.bold),
  ]);
  const page = layoutCertificatePage(pageInput, { regular: measureFont(regular), bold: measureFont(bold) });

  const fonts = [
    { name: REGULAR_FONT, file: regular },
    { name: BOLD_FONT, file: bold },
  ];
  const images = { [QR_IMAGE]: qrImage, [SEAL_IMAGE]: parsedSeal.sealInfo.picture.data };
  const customData: Record<string, string> = {
    identifier: certificate.identifier,
    kindCode: certificate.kind.code,
    certificateNumber: certificate.certificateNumber,
    issuerCode: certificate.issuer.code,
    issuerName: certificate.issuer.name,
    catalogVersion: String(certificate.catalogVersion),
    templateId: template.id,
    signedDataSm3,
    issuedAt: signedAt.toISOString(),
  };
  const title = template.title;

  let bytes: Buffer;
  if (format === 'ofd') {
    const files = buildOfd({
      page: page.page,
      fonts,
      images,
      customData,
      attachments: [
        { name: SIGNED_DATA_ATTACHMENT, file: input.signedData, format: 'json', creationDate: signedAt },
      ],
      docInfo: {
        // Derived from the identifier: stable for the certificate, never random.
        docId: sm3(certificate.identifier).subarray(0, 16).toString('hex'),
        title,
        creationDate: signedAt,
      },
    });
    bytes = await signOfd(files, {
      seal: seal.der,
      signer: seal.signer,
      signerCertificate: seal.certificate,
      time: signedAt,
      stamp: { pageIndex: 0, boundaryMm: page.stampMm },
    });
  } else {
    bytes = await buildSignedPdf({
      page: page.page,
      fonts,
      images,
      title,
      customData,
      attachment: {
        name: SIGNED_DATA_ATTACHMENT,
        bytes: input.signedData,
        mimeType: 'application/json',
        description: '电子证照签名原文（RFC 8785 规范化 JSON）',
      },
      signing: {
        seal: seal.der,
        signer: seal.signer,
        signerCertificate: seal.certificate,
        time: signedAt,
        // The page already draws the seal picture under the stamp.
        stamp: { boundaryMm: page.stampMm, drawSeal: false },
      },
    });
  }
  return { bytes, format, qr: { text: qr.text, sizeMm: qrSizeMm, version: symbol.version }, page };
}
