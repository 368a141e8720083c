import {
  AFRelationship,
  beginText,
  concatTransformationMatrix,
  drawObject,
  endText,
  fill,
  fillAndStroke,
  moveText,
  PDFDocument,
  PDFHexString,
  PDFName,
  type PDFOperator,
  type PDFRef,
  PDFString,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  setFillingRgbColor,
  setFontAndSize,
  setLineWidth,
  setStrokingRgbColor,
  showText,
  stroke,
} from 'pdf-lib';
import type { Signer } from '../../crypto/signer.ts';
import { sm3 } from '../../crypto/sm3.ts';
import { type ParsedCertificate, parseCertificate } from '../../crypto/x509.ts';
import { AppError } from '../../errors.ts';
import {
  type BuildOfdOptions,
  type OfdFont,
  type OfdPageItem,
  parseColor,
  type Rgb,
  rectPaint,
} from '../ofd/write-ofd.ts';
import { encodeSesSignature, encodeTbsSign, parseSeal, signData } from '../seal/ses.ts';
import { fontResourceName, PdfFontEmbedding } from './font.ts';
import { embedPngPicture } from './image.ts';

/**
 * Writes a one-page PDF from the same page model as the OFD (`buildOfd`) and seals it with
 * a GB/T 38540 electronic signature, the way Chinese e-seal PDFs are signed:
 *
 * - a signature field whose widget sits at the stamp position and shows the seal's own
 *   picture (from the SESeal), as an OFD reader shows Seal.esl at the StampAnnot;
 * - a signature dictionary `/Filter /Roadcert.GMPkiLite /SubFilter /GM.sm2seal` whose
 *   `/Contents` is a DER `SES_Signature`: TBS_Sign.dataHash = SM3 of every byte of the
 *   file except the `/Contents` hex string itself (`/ByteRange`), propertyInfo = the
 *   field name; SM2 with the default ID through the `Signer`;
 * - the certificate's signed data as an embedded file (EmbeddedFiles and the catalog's
 *   `/AF`, AFRelationship `/Data`), and the certificate metadata as custom entries of the
 *   document information dictionary.
 *
 * Deterministic: the same input gives the same bytes except the SM2 signature (a fresh k
 * each time) and its zero padding. Every date is `signing.time`; the file `/ID` is the SM3
 * of the file as written with a zero ID. Fonts are embedded as given (already subset).
 */

/** Handler name: ours; the `<vendor>.GMPkiLite` pattern of Chinese e-seal PDFs. */
export const PDF_SIGNATURE_FILTER = 'Roadcert.GMPkiLite';
/** Format of `/Contents`: a GB/T 38540 SES_Signature (as used by Chinese e-seal PDFs). */
export const PDF_SIGNATURE_SUBFILTER = 'GM.sm2seal';
/** The signature field's name, also TBS_Sign.propertyInfo. */
export const PDF_SIGNATURE_FIELD = 'RoadcertSeal';
/** Information dictionary keys that are not certificate metadata. */
export const STANDARD_INFO_KEYS: ReadonlySet<string> = new Set([
  'Title',
  'Author',
  'Subject',
  'Keywords',
  'Creator',
  'Producer',
  'CreationDate',
  'ModDate',
  'Trapped',
]);

/** The page model of `buildOfd`: text, image and rect items, sizes in mm. */
export type PdfPageModel = BuildOfdOptions['page'];
export type PdfPageItem = OfdPageItem;

export interface BuildSignedPdfOptions {
  readonly page: PdfPageModel;
  /** OpenType (CFF) or TrueType fonts, already subset; not collections. */
  readonly fonts: readonly OfdFont[];
  /** PNG pictures by name, placed by `image` items. */
  readonly images?: Readonly<Record<string, Uint8Array>>;
  /** Document title (shown in the reader's title bar). */
  readonly title: string;
  /** Certificate metadata, written to the information dictionary as custom entries. */
  readonly customData: Readonly<Record<string, string>>;
  /** The certificate's signed data, embedded as a file. */
  readonly attachment: {
    readonly name: string;
    readonly bytes: Uint8Array;
    /** e.g. `application/json`. */
    readonly mimeType: string;
    readonly description?: string;
  };
  readonly signing: {
    /** DER SESeal (`createSeal`). */
    readonly seal: Uint8Array;
    readonly signer: Signer;
    readonly signerCertificate: ParsedCertificate | Uint8Array | string;
    /** Signing time: TBS_Sign.timeInfo, `/M`, and every date in the file (whole seconds). */
    readonly time: Date;
    readonly stamp: {
      /** `[x, y, w, h]` in mm from the top-left corner of the page. */
      readonly boundaryMm: readonly [number, number, number, number];
      /**
       * Whether the widget shows the seal picture; default true. Set false when the page
       * model already draws the seal there.
       */
      readonly drawSeal?: boolean;
    };
  };
}

/** Where the baseline sits below the top of the text box, as a share of the size: as in write-ofd.ts. */
export const TEXT_BASELINE = 0.88;
const MAX_PAGE_MM = 2000;
const PNG_MAGIC = Buffer.from('89504e470d0a1a0a', 'hex');
/** Longest DER SM2 signature `SEQUENCE { r, s }`: both integers 33 bytes. */
const MAX_SM2_SIGNATURE = 72;
/** Ten digits: room for any offset in a file below 10 GB. */
const BYTE_RANGE_PLACEHOLDER = 9_999_999_999;
const ZERO_ID = '0'.repeat(32);

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', message);
}

/** mm → PDF points (1/72 in), rounded to 0.001 pt so numbers print the same everywhere. */
export function pt(mm: number): number {
  return Math.round((mm * 72_000) / 25.4) / 1000;
}

function checkMm(value: unknown, what: string, { positive = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_PAGE_MM) {
    throw invalid(`${what}应为 0–${MAX_PAGE_MM} 毫米`);
  }
  if (positive && value === 0) throw invalid(`${what}应大于 0`);
  return value;
}

/** 0–255 → 0–1, rounded so numbers print the same everywhere. */
function unit(color: Rgb): [number, number, number] {
  return color.map((v) => Math.round((v / 255) * 1000) / 1000) as [number, number, number];
}

function checkText(value: unknown, what: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
  if (typeof value !== 'string' || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
    throw invalid(`${what}应为不超过 ${max} 个字符、不含控制字符的文本`);
  }
  return value;
}

/** A PDF name for any Unicode key: its UTF-8 bytes, `#xx`-escaped by pdf-lib. */
export function utf8Name(key: string): PDFName {
  // PDFName.of decodes `#xx` first, so a literal `#` goes in as `#23`.
  return PDFName.of(Buffer.from(key, 'utf8').toString('latin1').replaceAll('#', '#23'));
}

/** Baseline origin of a text item, in PDF points from the bottom-left corner. */
export function textOrigin(item: { xMm: number; yMm: number; sizeMm: number }, pageHeightMm: number) {
  return { x: pt(item.xMm), y: pt(pageHeightMm - item.yMm - item.sizeMm * TEXT_BASELINE) };
}

export async function buildSignedPdf(options: BuildSignedPdfOptions): Promise<Buffer> {
  const { page: model, fonts, signing } = options;
  const images = options.images ?? {};
  const widthMm = checkMm(model?.widthMm, '页面宽度', { positive: true });
  const heightMm = checkMm(model?.heightMm, '页面高度', { positive: true });
  if (!Array.isArray(model.items)) throw invalid('页面对象应为数组');
  if (!Array.isArray(fonts) || fonts.length === 0) throw invalid('至少需要嵌入一种字体');
  const title = checkText(options.title, '文档标题', 500);
  if (!(signing?.time instanceof Date) || Number.isNaN(signing.time.getTime()))
    throw invalid('签章时间不正确');
  const time = new Date(Math.floor(signing.time.getTime() / 1000) * 1000);
  const boundary = signing.stamp?.boundaryMm;
  if (!Array.isArray(boundary) || boundary.length !== 4) throw invalid('印章位置应为 [x, y, 宽, 高] 毫米');
  const [sx, sy, sw, sh] = boundary.map((v, i) => checkMm(v, '印章位置', { positive: i >= 2 })) as [
    number,
    number,
    number,
    number,
  ];
  const customData = options.customData ?? {};
  for (const [key, value] of Object.entries(customData)) {
    checkText(key, '自定义数据名称', 100);
    if (key === '' || STANDARD_INFO_KEYS.has(key)) throw invalid(`自定义数据名称 ${key || '（空）'} 不可用`);
    checkText(value, `自定义数据 ${key}`, 10_000);
  }
  const attachment = options.attachment;
  if (!(attachment?.bytes instanceof Uint8Array)) throw invalid('缺少要嵌入的签名数据');
  checkText(attachment.name, '附件文件名', 200);
  if (attachment.name === '' || /[/\\]/.test(attachment.name)) throw invalid('附件文件名不能为空或含路径');
  if (typeof attachment.mimeType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(attachment.mimeType)) {
    throw invalid('附件的 MIME 类型不正确');
  }
  if (attachment.description !== undefined) checkText(attachment.description, '附件说明', 500);
  const seal = parseSeal(signing.seal);

  const doc = await PDFDocument.create({ updateMetadata: false });
  const { context } = doc;
  const page = doc.addPage([pt(widthMm), pt(heightMm)]);

  const embeddings = new Map<string, { font: PdfFontEmbedding; ref: PDFRef; resource: PDFName }>();
  for (const f of fonts) {
    if (typeof f?.name !== 'string' || f.name.trim() === '') throw invalid('字体名称不能为空');
    if (embeddings.has(f.name)) throw invalid(`字体 ${f.name} 重复`);
    if (!(f.file instanceof Uint8Array)) throw invalid(`字体 ${f.name} 缺少字体文件`);
    embeddings.set(f.name, {
      font: new PdfFontEmbedding(f.name, f.file),
      ref: context.nextRef(),
      resource: fontResourceName(embeddings.size),
    });
  }
  const usedFonts = new Set<string>();

  // One XObject per distinct picture, in order of first use.
  const pictures = new Map<string, PDFName>();
  const picture = async (png: Uint8Array, what: string): Promise<PDFName> => {
    if (!(png instanceof Uint8Array) || !PNG_MAGIC.equals(Buffer.from(png.subarray(0, 8)))) {
      throw invalid(`${what}应为 PNG`);
    }
    const digest = sm3(png).toString('hex');
    let name = pictures.get(digest);
    if (!name) {
      const ref = await embedPngPicture(doc, png);
      name = PDFName.of(`Im${pictures.size + 1}`);
      pictures.set(digest, name);
      page.node.setXObject(name, ref);
    }
    return name;
  };

  const ops: PDFOperator[] = [];
  for (const [index, item] of model.items.entries()) {
    const where = `第 ${index + 1} 个页面对象`;
    const x = checkMm(item.xMm, `${where}的 X `);
    const y = checkMm(item.yMm, `${where}的 Y `);
    if (item.kind === 'text') {
      if (typeof item.text !== 'string' || item.text === '' || /[\r\n]/.test(item.text)) {
        throw invalid(`${where}的文字应为非空的单行文本`);
      }
      const size = checkMm(item.sizeMm, `${where}的字号`, { positive: true });
      const fontName = item.font ?? fonts[0]!.name;
      const embedding = embeddings.get(fontName);
      if (!embedding) throw invalid(`${where}使用的字体 ${fontName} 未嵌入`);
      if (item.widthMm !== undefined) checkMm(item.widthMm, `${where}的宽度`);
      usedFonts.add(fontName);
      const origin = textOrigin({ xMm: x, yMm: y, sizeMm: size }, heightMm);
      ops.push(
        pushGraphicsState(),
        setFillingRgbColor(...unit(parseColor(item.color ?? '#000000', `${where}的文字颜色`))),
        beginText(),
        setFontAndSize(embedding.resource, pt(size)),
        moveText(origin.x, origin.y),
        showText(embedding.font.encode(item.text, where)),
        endText(),
        popGraphicsState(),
      );
    } else if (item.kind === 'image') {
      const w = checkMm(item.widthMm, `${where}的宽度`, { positive: true });
      const h = checkMm(item.heightMm, `${where}的高度`, { positive: true });
      const png = Object.hasOwn(images, item.image) ? images[item.image] : undefined;
      if (png === undefined) throw invalid(`未提供图片 ${item.image}`);
      const name = await picture(png, `图片 ${item.image} `);
      ops.push(
        pushGraphicsState(),
        concatTransformationMatrix(pt(w), 0, 0, pt(h), pt(x), pt(heightMm - y - h)),
        drawObject(name),
        popGraphicsState(),
      );
    } else if (item.kind === 'rect') {
      const w = checkMm(item.widthMm, `${where}的宽度`, { positive: true });
      const h = checkMm(item.heightMm, `${where}的高度`, { positive: true });
      // The painting rule shared with the OFD renderer.
      const paint = rectPaint(item, where);
      ops.push(pushGraphicsState());
      if (paint.fill) ops.push(setFillingRgbColor(...unit(paint.fill)));
      if (paint.stroke)
        ops.push(setStrokingRgbColor(...unit(paint.stroke)), setLineWidth(pt(paint.lineWidthMm)));
      ops.push(
        rectangle(pt(x), pt(heightMm - y - h), pt(w), pt(h)),
        paint.fill && paint.stroke ? fillAndStroke() : paint.fill ? fill() : stroke(),
        popGraphicsState(),
      );
    } else {
      throw invalid(`${where}的类型不正确`);
    }
  }
  page.pushOperators(...ops);
  for (const name of usedFonts) {
    const { font, ref, resource } = embeddings.get(name)!;
    page.node.setFontDictionary(resource, ref);
    font.embed(context, ref);
  }

  // The signature: value dictionary, widget with the seal picture, AcroForm.
  const sealInfo = seal.sealInfo;
  const cert = signing.signerCertificate;
  // The exact DER length with the longest SM2 signature: the placeholder always fits.
  const placeholderBytes = encodeSesSignature({
    tbsDer: encodeTbsSign({
      seal: seal.der,
      time,
      dataHash: Buffer.alloc(32),
      propertyInfo: PDF_SIGNATURE_FIELD,
    }),
    signerCertificate: (typeof cert === 'string' || cert instanceof Uint8Array
      ? parseCertificate(cert)
      : cert
    ).der,
    signature: Buffer.alloc(MAX_SM2_SIGNATURE),
  }).length;
  const signatureRef = context.register(
    context.obj({
      Type: 'Sig',
      Filter: PDF_SIGNATURE_FILTER,
      SubFilter: PDF_SIGNATURE_SUBFILTER,
      ByteRange: [0, BYTE_RANGE_PLACEHOLDER, BYTE_RANGE_PLACEHOLDER, BYTE_RANGE_PLACEHOLDER],
      Contents: PDFHexString.of('0'.repeat(placeholderBytes * 2)),
      M: PDFString.fromDate(time),
      Name: PDFHexString.fromText(sealInfo.property.name),
    }),
  );
  const widthPt = pt(sw);
  const heightPt = pt(sh);
  let appearanceOps: PDFOperator[] = [];
  const appearanceResources: Record<string, PDFRef> = {};
  if (signing.stamp.drawSeal !== false) {
    if (sealInfo.picture.type.toUpperCase() !== 'PNG') throw invalid('印章图片不是 PNG，无法在 PDF 中显示');
    appearanceResources.Seal = await embedPngPicture(doc, sealInfo.picture.data);
    appearanceOps = [
      pushGraphicsState(),
      concatTransformationMatrix(widthPt, 0, 0, heightPt, 0, 0),
      drawObject('Seal'),
      popGraphicsState(),
    ];
  }
  const appearance = context.formXObject(appearanceOps, {
    BBox: [0, 0, widthPt, heightPt],
    Resources: { XObject: appearanceResources },
  });
  const widgetRef = context.register(
    context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of(PDF_SIGNATURE_FIELD),
      V: signatureRef,
      Rect: [pt(sx), pt(heightMm - sy - sh), pt(sx + sw), pt(heightMm - sy)],
      // Print | Locked.
      F: 132,
      P: page.ref,
      AP: { N: context.register(appearance) },
    }),
  );
  page.node.addAnnot(widgetRef);
  // SigFlags 3: SignaturesExist | AppendOnly.
  doc.catalog.set(PDFName.of('AcroForm'), context.obj({ Fields: [widgetRef], SigFlags: 3 }));
  doc.catalog.set(PDFName.of('Lang'), PDFString.of('zh-CN'));
  doc.catalog.set(PDFName.of('ViewerPreferences'), context.obj({ DisplayDocTitle: true }));

  await doc.attach(attachment.bytes, attachment.name, {
    mimeType: attachment.mimeType,
    description: attachment.description,
    creationDate: time,
    modificationDate: time,
    afRelationship: AFRelationship.Data,
  });

  const info = context.obj({
    Title: PDFHexString.fromText(title),
    Creator: PDFString.of('roadcert'),
    Producer: PDFString.of('roadcert'),
    CreationDate: PDFString.fromDate(time),
    ModDate: PDFString.fromDate(time),
  });
  for (const key of Object.keys(customData).sort()) {
    info.set(utf8Name(key), PDFHexString.fromText(customData[key]!));
  }
  context.trailerInfo.Info = context.register(info);
  context.trailerInfo.ID = context.obj([PDFHexString.of(ZERO_ID), PDFHexString.of(ZERO_ID)]);

  const file = Buffer.from(await doc.save({ useObjectStreams: false, addDefaultPage: false }));
  return sign(file, placeholderBytes, {
    seal: signing.seal,
    signer: signing.signer,
    signerCertificate: signing.signerCertificate,
    time,
  });
}

/** The one place `needle` occurs in `file`; anything else means the writer changed. */
function onlyOccurrence(file: Buffer, needle: string, what: string): number {
  const at = file.indexOf(needle, 0, 'latin1');
  if (at < 0 || file.indexOf(needle, at + 1, 'latin1') >= 0) {
    throw new AppError('INTERNAL', `PDF 中${what}的占位符不唯一`);
  }
  return at;
}

async function sign(
  file: Buffer,
  placeholderBytes: number,
  ses: {
    seal: Uint8Array;
    signer: Signer;
    signerCertificate: BuildSignedPdfOptions['signing']['signerCertificate'];
    time: Date;
  },
): Promise<Buffer> {
  const idNeedle = `/ID [ <${ZERO_ID}> <${ZERO_ID}> ]`;
  const idAt = onlyOccurrence(file, idNeedle, '文件标识');
  const id = sm3(file).subarray(0, 16).toString('hex').toUpperCase();
  file.write(`/ID [ <${id}> <${id}> ]`, idAt, 'latin1');

  const contentsNeedle = `/Contents <${'0'.repeat(placeholderBytes * 2)}>`;
  const start = onlyOccurrence(file, contentsNeedle, '签名值') + '/Contents '.length;
  const end = start + placeholderBytes * 2 + 2;
  const rangeNeedle = `/ByteRange [ 0 ${BYTE_RANGE_PLACEHOLDER} ${BYTE_RANGE_PLACEHOLDER} ${BYTE_RANGE_PLACEHOLDER} ]`;
  const rangeAt = onlyOccurrence(file, rangeNeedle, '签名范围');
  const range = `/ByteRange [ 0 ${start} ${end} ${file.length - end} `;
  file.write(`${range.padEnd(rangeNeedle.length - 1, ' ')}]`, rangeAt, 'latin1');

  const signed = await signData({
    seal: ses.seal,
    signer: ses.signer,
    signerCertificate: ses.signerCertificate,
    dataHash: sm3(Buffer.concat([file.subarray(0, start), file.subarray(end)])),
    propertyInfo: PDF_SIGNATURE_FIELD,
    time: ses.time,
  });
  if (signed.length > placeholderBytes) throw new AppError('INTERNAL', '电子签章超出 PDF 预留的签名空间');
  file.write(signed.toString('hex').toUpperCase(), start + 1, 'latin1');
  return file;
}
