import { AppError } from '../../errors.ts';
import { canonicalOrder, DOC_ROOT, OFD_ENTRY } from './package.ts';
import { element as el, OFD_NS, text, xmlFile } from './xml.ts';

/**
 * Writes an unsigned one-page OFD package (GB/T 33190) as a map of path → bytes:
 *
 * ```
 * OFD.xml                           DocBody: DocInfo (with CustomDatas), DocRoot
 * Doc_0/Document.xml                CommonData (MaxUnitID, PageArea in mm, PublicRes, DocumentRes), Pages
 * Doc_0/PublicRes.xml               Fonts → Res/font_<id>.<ext>
 * Doc_0/DocumentRes.xml             MultiMedias (images) → Res/image_<id>.png
 * Doc_0/Pages/Page_0/Content.xml    one Layer of TextObject / ImageObject / PathObject
 * Doc_0/Attachs/Attachments.xml     (with attachments) Attachment → Doc_0/Attachs/<name>
 * ```
 *
 * Deterministic: the same input gives byte-identical files. IDs are handed out in input
 * order, custom data is written sorted by name, numbers have fixed precision, and nothing
 * reads the clock. Sign it with `signOfd`, or zip it as is with `packOfd`.
 */

export interface OfdTextItem {
  readonly kind: 'text';
  readonly text: string;
  /** Top-left corner of the text box on the page, in mm. */
  readonly xMm: number;
  readonly yMm: number;
  /** Font size (em height) in mm; 1 pt ≈ 0.353 mm. */
  readonly sizeMm: number;
  /** Name of one of `fonts`; the first font when omitted. */
  readonly font?: string;
  /** Width of the text box; estimated from the characters when omitted. */
  readonly widthMm?: number;
  /** Text colour `#rrggbb`; black when omitted. */
  readonly color?: string;
}

export interface OfdImageItem {
  readonly kind: 'image';
  /** Key in `images`. */
  readonly image: string;
  readonly xMm: number;
  readonly yMm: number;
  readonly widthMm: number;
  readonly heightMm: number;
}

/**
 * A rectangle (frames, rules, filled bars). The outline is centred on the rectangle's edge,
 * as in PDF `re` + `S`. Painting, shared by every renderer through `rectPaint`:
 * - the outline is drawn when `stroke` is given, or when neither `stroke` nor `fill` is
 *   (then in black), `strokeMm` wide (0.25 mm when omitted);
 * - the inside is filled when `fill` is given.
 */
export interface OfdRectItem {
  readonly kind: 'rect';
  /** Top-left corner on the page, in mm. */
  readonly xMm: number;
  readonly yMm: number;
  readonly widthMm: number;
  readonly heightMm: number;
  /** Outline width in mm; 0.25 when omitted. */
  readonly strokeMm?: number;
  /** Outline colour `#rrggbb`. */
  readonly stroke?: string;
  /** Fill colour `#rrggbb`. */
  readonly fill?: string;
}

export type OfdPageItem = OfdTextItem | OfdImageItem | OfdRectItem;

/** A file attached to the document (GB/T 33190 Attachments), e.g. the certificate data. */
export interface OfdAttachment {
  /** File name inside the package, `[A-Za-z0-9._-]`, e.g. `certificate.json`. */
  readonly name: string;
  readonly file: Uint8Array;
  /** Format label, e.g. `json`; the name's extension when omitted. */
  readonly format?: string;
  /** Written as the attachment's CreationDate; omitted when not given (no clock is read). */
  readonly creationDate?: Date;
}

export interface OfdFont {
  /** The font's family name, as a reader would match it (e.g. `Noto Serif CJK SC`). */
  readonly name: string;
  /** TrueType/OpenType file or collection, embedded as is. */
  readonly file: Uint8Array;
}

export interface BuildOfdOptions {
  readonly page: {
    readonly widthMm: number;
    readonly heightMm: number;
    readonly items: readonly OfdPageItem[];
  };
  readonly fonts: readonly OfdFont[];
  /** Written to DocInfo/CustomDatas (e.g. the certificate identifier), sorted by name. */
  readonly customData?: Readonly<Record<string, string>>;
  /** PNG pictures by name, placed by `image` items. */
  readonly images?: Readonly<Record<string, Uint8Array>>;
  /** Files written to Doc_0/Attachs/ and listed in Doc_0/Attachs/Attachments.xml. */
  readonly attachments?: readonly OfdAttachment[];
  readonly docInfo?: {
    /** DocID; omitted when not given, so that a build never depends on randomness. */
    readonly docId?: string;
    readonly title?: string;
    /** Written as `YYYY-MM-DD` (UTC). */
    readonly creationDate?: Date;
  };
}

const ATTACHMENTS_XML = 'Doc_0/Attachs/Attachments.xml';
const PNG_MAGIC = Buffer.from('89504e470d0a1a0a', 'hex');
const MAX_PAGE_MM = 2000;

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', message);
}

/** Fixed precision so that output is byte-identical across runs and platforms. */
export function mm(value: number): string {
  const s = value.toFixed(3).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

function checkMm(value: unknown, what: string, { positive = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_PAGE_MM) {
    throw invalid(`${what}应为 0–${MAX_PAGE_MM} 毫米`);
  }
  if (positive && value === 0) throw invalid(`${what}应大于 0`);
  return value;
}

/** An RGB colour, 0–255 each. */
export type Rgb = readonly [number, number, number];

/** Parses `#rrggbb`; `what` names the value in the error. */
export function parseColor(value: unknown, what: string): Rgb {
  if (typeof value !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(value))
    throw invalid(`${what}应为 #rrggbb 格式`);
  return [1, 3, 5].map((i) => Number.parseInt(value.slice(i, i + 2), 16)) as unknown as Rgb;
}

export const DEFAULT_RECT_STROKE_MM = 0.25;

/** How a rectangle is painted (see `OfdRectItem`); every renderer uses this one rule. */
export function rectPaint(
  item: Pick<OfdRectItem, 'stroke' | 'fill' | 'strokeMm'>,
  where = '矩形',
): { readonly stroke?: Rgb; readonly fill?: Rgb; readonly lineWidthMm: number } {
  const fill = item.fill === undefined ? undefined : parseColor(item.fill, `${where}的填充颜色`);
  const stroke =
    item.stroke !== undefined
      ? parseColor(item.stroke, `${where}的边框颜色`)
      : fill === undefined
        ? ([0, 0, 0] as const)
        : undefined;
  const lineWidthMm =
    item.strokeMm === undefined ? DEFAULT_RECT_STROKE_MM : checkMm(item.strokeMm, `${where}的边框宽度`);
  if (stroke !== undefined && lineWidthMm === 0) throw invalid(`${where}的边框宽度应大于 0`);
  return { ...(stroke && { stroke }), ...(fill && { fill }), lineWidthMm };
}

const rgbValue = (c: Rgb) => c.join(' ');

/** The file extension a reader expects for this font data. */
function fontExtension(file: Uint8Array): string {
  const tag = Buffer.from(file.subarray(0, 4)).toString('latin1');
  if (tag === 'ttcf') return 'ttc';
  if (tag === 'OTTO') return 'otf';
  if (tag === '\0\x01\0\0' || tag === 'true') return 'ttf';
  throw invalid('字体文件应为 TrueType/OpenType 字体或字体集');
}

/**
 * Width of a line set in `sizeMm`: full-width for CJK and other wide characters, about
 * 0.6 em otherwise. Only used for the Boundary, which must not clip the glyphs, so it errs
 * on the wide side.
 */
function estimateWidth(value: string, sizeMm: number): number {
  let em = 0;
  for (const ch of value)
    em +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u.test(
        ch,
      )
        ? 1
        : 0.6;
  return em * sizeMm;
}

/** Where the baseline sits below the top of the text box, as a share of the size (CJK ascent). */
const BASELINE = 0.88;
const LINE_HEIGHT = 1.25;

export function buildOfd(options: BuildOfdOptions): Map<string, Buffer> {
  const { page, fonts } = options;
  const images = options.images ?? {};
  const widthMm = checkMm(page?.widthMm, '页面宽度', { positive: true });
  const heightMm = checkMm(page?.heightMm, '页面高度', { positive: true });
  if (!Array.isArray(fonts) || fonts.length === 0) throw invalid('至少需要嵌入一种字体');

  let nextId = 0;
  const id = () => ++nextId;
  const pageId = id();
  const layerId = id();

  const fontIds = new Map<string, number>();
  const fontFiles: { id: number; name: string; path: string; bytes: Buffer }[] = [];
  for (const font of fonts) {
    if (typeof font.name !== 'string' || font.name.trim() === '') throw invalid('字体名称不能为空');
    if (fontIds.has(font.name)) throw invalid(`字体 ${font.name} 重复`);
    if (!(font.file instanceof Uint8Array)) throw invalid(`字体 ${font.name} 缺少字体文件`);
    const fid = id();
    fontIds.set(font.name, fid);
    fontFiles.push({
      id: fid,
      name: font.name,
      path: `font_${fid}.${fontExtension(font.file)}`,
      bytes: Buffer.from(font.file),
    });
  }

  // Only the pictures that are placed go into the package, in order of first use.
  const imageIds = new Map<string, number>();
  const imageFiles: { id: number; path: string; bytes: Buffer }[] = [];
  for (const item of page.items) {
    if (item.kind !== 'image' || imageIds.has(item.image)) continue;
    const png = Object.hasOwn(images, item.image) ? images[item.image] : undefined;
    if (!(png instanceof Uint8Array)) throw invalid(`未提供图片 ${item.image}`);
    if (!PNG_MAGIC.equals(Buffer.from(png.subarray(0, 8)))) throw invalid(`图片 ${item.image} 应为 PNG`);
    const iid = id();
    imageIds.set(item.image, iid);
    imageFiles.push({ id: iid, path: `image_${iid}.png`, bytes: Buffer.from(png) });
  }

  const objects: string[] = [];
  for (const [index, item] of page.items.entries()) {
    const where = `第 ${index + 1} 个页面对象`;
    const x = checkMm(item.xMm, `${where}的 X `);
    const y = checkMm(item.yMm, `${where}的 Y `);
    if (item.kind === 'text') {
      if (typeof item.text !== 'string' || item.text === '' || /[\r\n]/.test(item.text)) {
        throw invalid(`${where}的文字应为非空的单行文本`);
      }
      const size = checkMm(item.sizeMm, `${where}的字号`, { positive: true });
      const fontName = item.font ?? fonts[0]!.name;
      const fontId = fontIds.get(fontName);
      if (fontId === undefined) throw invalid(`${where}使用的字体 ${fontName} 未嵌入`);
      const w =
        item.widthMm === undefined ? estimateWidth(item.text, size) : checkMm(item.widthMm, `${where}的宽度`);
      const color = item.color === undefined ? undefined : parseColor(item.color, `${where}的颜色`);
      objects.push(
        el(
          'ofd:TextObject',
          {
            ID: id(),
            Boundary: [x, y, w, size * LINE_HEIGHT].map(mm).join(' '),
            Font: fontId,
            Size: mm(size),
          },
          color === undefined ? '' : el('ofd:FillColor', { Value: rgbValue(color) }),
          // X/Y of TextCode are relative to the Boundary; Y is the baseline.
          el('ofd:TextCode', { X: '0', Y: mm(size * BASELINE) }, text(item.text)),
        ),
      );
    } else if (item.kind === 'rect') {
      const w = checkMm(item.widthMm, `${where}的宽度`, { positive: true });
      const h = checkMm(item.heightMm, `${where}的高度`, { positive: true });
      const paint = rectPaint(item, where);
      // The Boundary takes in the outer half of the outline; the path is relative to it.
      const half = paint.stroke === undefined ? 0 : paint.lineWidthMm / 2;
      const [l, t, r, b] = [half, half, half + w, half + h].map(mm);
      objects.push(
        el(
          'ofd:PathObject',
          {
            ID: id(),
            Boundary: [x - half, y - half, w + 2 * half, h + 2 * half].map(mm).join(' '),
            LineWidth: paint.stroke === undefined ? undefined : mm(paint.lineWidthMm),
            Stroke: paint.stroke === undefined ? 'false' : 'true',
            Fill: paint.fill === undefined ? 'false' : 'true',
          },
          paint.stroke === undefined ? '' : el('ofd:StrokeColor', { Value: rgbValue(paint.stroke) }),
          paint.fill === undefined ? '' : el('ofd:FillColor', { Value: rgbValue(paint.fill) }),
          el('ofd:AbbreviatedData', {}, `M ${l} ${t} L ${r} ${t} L ${r} ${b} L ${l} ${b} C`),
        ),
      );
    } else if (item.kind === 'image') {
      const w = checkMm(item.widthMm, `${where}的宽度`, { positive: true });
      const h = checkMm(item.heightMm, `${where}的高度`, { positive: true });
      objects.push(
        el('ofd:ImageObject', {
          ID: id(),
          Boundary: [x, y, w, h].map(mm).join(' '),
          // An image is drawn into the unit square; the CTM scales it to the box.
          CTM: `${mm(w)} 0 0 ${mm(h)} 0 0`,
          ResourceID: imageIds.get(item.image),
        }),
      );
    } else {
      throw invalid(`${where}的类型不正确`);
    }
  }

  const attachments: { id: number; name: string; format: string; creationDate?: Date; bytes: Buffer }[] = [];
  for (const a of options.attachments ?? []) {
    if (
      typeof a.name !== 'string' ||
      !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(a.name) ||
      a.name === 'Attachments.xml'
    ) {
      throw invalid(`附件名称 ${String(a.name)} 不合法`);
    }
    if (attachments.some((other) => other.name === a.name)) throw invalid(`附件 ${a.name} 重复`);
    if (!(a.file instanceof Uint8Array)) throw invalid(`附件 ${a.name} 缺少内容`);
    if (a.creationDate !== undefined && Number.isNaN(a.creationDate.getTime())) {
      throw invalid(`附件 ${a.name} 的创建时间不正确`);
    }
    attachments.push({
      id: id(),
      name: a.name,
      format: a.format ?? (a.name.includes('.') ? a.name.slice(a.name.lastIndexOf('.') + 1) : ''),
      ...(a.creationDate && { creationDate: a.creationDate }),
      bytes: Buffer.from(a.file),
    });
  }

  const ns = { 'xmlns:ofd': OFD_NS };
  const files = new Map<string, Buffer>();

  const customData = options.customData ?? {};
  const names = Object.keys(customData).sort();
  for (const name of names) {
    if (name === '' || typeof customData[name] !== 'string') throw invalid(`自定义数据 ${name} 应为字符串`);
  }
  const info = options.docInfo ?? {};
  files.set(
    OFD_ENTRY,
    xmlFile(
      el(
        'ofd:OFD',
        { ...ns, DocType: 'OFD', Version: '1.0' },
        el(
          'ofd:DocBody',
          {},
          el(
            'ofd:DocInfo',
            {},
            info.docId === undefined ? '' : el('ofd:DocID', {}, text(info.docId)),
            info.title === undefined ? '' : el('ofd:Title', {}, text(info.title)),
            info.creationDate === undefined
              ? ''
              : el('ofd:CreationDate', {}, info.creationDate.toISOString().slice(0, 10)),
            el('ofd:Creator', {}, 'roadcert'),
            names.length === 0
              ? ''
              : el(
                  'ofd:CustomDatas',
                  {},
                  ...names.map((name) => el('ofd:CustomData', { Name: name }, text(customData[name]!))),
                ),
          ),
          el('ofd:DocRoot', {}, DOC_ROOT),
        ),
      ),
    ),
  );

  files.set(
    DOC_ROOT,
    xmlFile(
      el(
        'ofd:Document',
        ns,
        el(
          'ofd:CommonData',
          {},
          el('ofd:MaxUnitID', {}, String(nextId)),
          el('ofd:PageArea', {}, el('ofd:PhysicalBox', {}, `0 0 ${mm(widthMm)} ${mm(heightMm)}`)),
          el('ofd:PublicRes', {}, 'PublicRes.xml'),
          imageFiles.length === 0 ? '' : el('ofd:DocumentRes', {}, 'DocumentRes.xml'),
        ),
        el('ofd:Pages', {}, el('ofd:Page', { ID: pageId, BaseLoc: 'Pages/Page_0/Content.xml' })),
        attachments.length === 0 ? '' : el('ofd:Attachments', {}, ATTACHMENTS_XML.slice('Doc_0/'.length)),
      ),
    ),
  );

  if (attachments.length > 0) {
    files.set(
      ATTACHMENTS_XML,
      xmlFile(
        el(
          'ofd:Attachments',
          ns,
          ...attachments.map((a) =>
            el(
              'ofd:Attachment',
              {
                ID: a.id,
                Name: a.name,
                Format: a.format === '' ? undefined : a.format,
                CreationDate: a.creationDate?.toISOString().replace(/\.\d{3}Z$/, 'Z'),
                // Size is in KB (GB/T 33190).
                Size: mm(a.bytes.length / 1024),
                Visible: 'true',
              },
              el('ofd:FileLoc', {}, text(a.name)),
            ),
          ),
        ),
      ),
    );
    for (const a of attachments) files.set(`Doc_0/Attachs/${a.name}`, a.bytes);
  }

  files.set(
    'Doc_0/PublicRes.xml',
    xmlFile(
      el(
        'ofd:Res',
        { ...ns, BaseLoc: 'Res' },
        el(
          'ofd:Fonts',
          {},
          ...fontFiles.map((f) =>
            el(
              'ofd:Font',
              { ID: f.id, FontName: f.name, FamilyName: f.name },
              el('ofd:FontFile', {}, f.path),
            ),
          ),
        ),
      ),
    ),
  );
  for (const f of fontFiles) files.set(`Doc_0/Res/${f.path}`, f.bytes);

  if (imageFiles.length > 0) {
    files.set(
      'Doc_0/DocumentRes.xml',
      xmlFile(
        el(
          'ofd:Res',
          { ...ns, BaseLoc: 'Res' },
          el(
            'ofd:MultiMedias',
            {},
            ...imageFiles.map((m) =>
              el(
                'ofd:MultiMedia',
                { ID: m.id, Type: 'Image', Format: 'PNG' },
                el('ofd:MediaFile', {}, m.path),
              ),
            ),
          ),
        ),
      ),
    );
    for (const m of imageFiles) files.set(`Doc_0/Res/${m.path}`, m.bytes);
  }

  files.set(
    'Doc_0/Pages/Page_0/Content.xml',
    xmlFile(
      el('ofd:Page', ns, el('ofd:Content', {}, el('ofd:Layer', { ID: layerId, Type: 'Body' }, ...objects))),
    ),
  );

  return new Map(canonicalOrder(files.keys()).map((p) => [p, files.get(p)!]));
}
