import type { CodeTable, FieldDefinition, KindDefinition } from '../../domain/catalog/types.ts';
import { AppError } from '../../errors.ts';
import type { TextMeasure } from '../fonts/cjk-font.ts';
import type { OfdPageItem } from '../ofd/write-ofd.ts';
import { A4_PORTRAIT_V1, type CertificateTemplate, type TemplateCell } from './templates.ts';
import { wrapText } from './wrap.ts';

/**
 * The page of a certificate document, laid out from its template (A4 portrait, mm, origin at the
 * top left). Pure: the same input and fonts give the same items. Two phases, because the
 * embedded font is cut to the page's glyphs and the layout measures text with that very font:
 * `certificatePageText` lists what will be printed, `layoutCertificatePage` places it.
 *
 * ```
 *  ┌──────────────── frame ────────────────┐
 *  │              [emblem frame]           │
 *  │            中华人民共和国               │
 *  │           <template title>            │
 *  │             编号：<number>              │
 *  │ ┌label┬value──────┬label┬value──────┐ │   face fields, template order;
 *  │ ├label┴value──────┴─────┴───────────┤ │   long values wrap, the table
 *  │ │有效期限  …                          │ │   shrinks its type to fit
 *  │ └───────────────────────────────────┘ │
 *  │ [QR]                  发证机关 …  (seal)│
 *  │ 扫码查验               发证日期 …       │
 *  │       电子证照标识 · signature note      │
 *  └───────────────────────────────────────┘
 * ```
 */

export const PAGE = { widthMm: 210, heightMm: 297 } as const;
export const REGULAR_FONT = 'Noto Serif CJK SC';
export const BOLD_FONT = 'Noto Serif CJK SC Bold';

/** What the page shows, from the certificate's signed data and its catalog version. */
export interface CertificatePageInput {
  readonly template: CertificateTemplate;
  readonly kind: Pick<KindDefinition, 'fields'>;
  readonly codeTables: Readonly<Record<string, CodeTable>>;
  readonly certificate: {
    readonly identifier: string;
    readonly certificateNumber: string;
    readonly issuer: { readonly name: string };
    readonly issueDate: string;
    readonly validFrom: string | null;
    readonly validTo: string | null;
    readonly face: Readonly<Record<string, unknown>>;
  };
  /** The seal's name, for the note under the identifier. */
  readonly sealName: string;
  /** Image keys and printed sizes (square). */
  readonly qr: { readonly image: string; readonly sizeMm: number };
  readonly seal: { readonly image: string; readonly sizeMm: number };
}

export interface CertificatePage {
  readonly page: { widthMm: number; heightMm: number; items: OfdPageItem[] };
  /** Where the seal sits: the stamp's [x, y, w, h] in mm. */
  readonly stampMm: [number, number, number, number];
  /** Value font size the table was set in (shrunk from the default when the face is long). */
  readonly valueSizeMm: number;
}

// ── geometry (mm) ────────────────────────────────────────────────────────────────────────
const FRAME = { outer: 10, inner: 13, outerStroke: 1.2, innerStroke: 0.3 };
const EMBLEM = { size: 22, y: 19 };
const TITLE_TOP = { y: 45, size: 6 };
const TITLE = { y: 53, size: 8.5 };
const NUMBER = { y: 66, size: 3.9 };
/** Cell padding and the smallest row scale with the type, so a long face can still fit. */
const TABLE = { x: 20, y: 74, width: 170, labelWidth: 30, padEm: 0.4, stroke: 0.25, minRowEm: 2.2 };
/** The fixed block at the bottom: QR, issuer and date with the seal, identifier and note. */
const BOTTOM = {
  top: 214,
  qrX: 22,
  issuerX: 112,
  issuerWidth: 76,
  footerY: 262,
  footerSize: 2.9,
};
const ISSUER_SIZES = [4.2, 3.6, 3.0, 2.6];
const ISSUER_LINE = 1.6;
const LINE = 1.3;
/** Type sizes tried for the table, largest first (11 pt down to about 6.5 pt). */
const VALUE_SIZES = [3.9, 3.6, 3.3, 3.0, 2.7, 2.5, 2.3];
const LABEL_RATIO = 0.92;
const BLACK = '#1a1a1a';
const GREY = '#555555';

const EMPTY = '';

function overflow(message: string): AppError {
  return new AppError('DOCUMENT_LAYOUT_OVERFLOW', message);
}

/** `2025-06-01` → `2025年06月01日`; anything else as it is. */
export function chineseDate(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? `${m[1]}年${m[2]}月${m[3]}日` : value;
}

export function validityText(validFrom: string | null, validTo: string | null): string {
  if (validTo === null) return validFrom === null ? '长期' : `自${chineseDate(validFrom)}起长期有效`;
  return validFrom === null
    ? `至${chineseDate(validTo)}`
    : `${chineseDate(validFrom)}至${chineseDate(validTo)}`;
}

/** A face value as printed: codes as their Chinese meaning, dates in Chinese, lists joined. */
export function printedValue(
  field: FieldDefinition | undefined,
  value: unknown,
  codeTables: Readonly<Record<string, CodeTable>>,
): string {
  if (value === undefined || value === null || value === '') return EMPTY;
  if (Array.isArray(value)) return value.map((v) => printedValue(field, v, codeTables)).join('、');
  const s = typeof value === 'string' ? value : String(value);
  if (field?.type === 'date') return chineseDate(s);
  if (field?.type === 'code' && field.codeTable) {
    const entries = codeTables[field.codeTable]?.entries ?? [];
    // By code; a codeOrName field may already carry the name, which prints as it is.
    return entries.find((e) => e.code === s)?.name ?? s;
  }
  return s;
}

interface Cell {
  readonly label: string;
  readonly value: string;
  readonly wide: boolean;
}

interface Content {
  readonly titleTop: string;
  readonly title: string;
  readonly number: string;
  readonly cells: readonly Cell[];
  readonly issuer: string;
  readonly issueDate: string;
  readonly qrCaption: string;
  readonly identifier: string;
  readonly note: string;
}

function cellOf(template: TemplateCell, input: CertificatePageInput): Cell {
  const fields = template.keys.map((k) => input.kind.fields.find((f) => f.key === k));
  const values = template.keys.map((k, i) =>
    printedValue(fields[i], input.certificate.face[k], input.codeTables),
  );
  const value = values.every((v) => v === EMPTY)
    ? EMPTY
    : values.map((v) => v || '—').join(template.separator ?? '');
  return {
    label: template.label ?? fields[0]?.label ?? template.keys[0]!,
    value,
    wide: template.wide === true,
  };
}

function content(input: CertificatePageInput): Content {
  const { certificate, template } = input;
  const placed = new Set(template.cells.flatMap((c) => c.keys));
  const cells = template.cells.map((c) => cellOf(c, input));
  // A face value the template does not place is still printed (never silently dropped): it
  // was signed, so it belongs on the document.
  for (const key of Object.keys(certificate.face).sort()) {
    if (!placed.has(key)) cells.push(cellOf({ keys: [key], wide: true }, input));
  }
  cells.push({
    label: '有效期限',
    value: validityText(certificate.validFrom, certificate.validTo),
    wide: true,
  });
  return {
    titleTop: '中华人民共和国',
    title: template.title,
    number: `编号：${certificate.certificateNumber}`,
    cells,
    issuer: `发证机关：${certificate.issuer.name}`,
    issueDate: `发证日期：${chineseDate(certificate.issueDate)}`,
    qrCaption: '扫码查验',
    identifier: `电子证照标识：${certificate.identifier}`,
    note: `本电子证照加盖“${input.sealName}”电子印章，与纸质证照具有同等效力`,
  };
}

/** Every character the page prints, per font: the glyph sets to subset. */
export function certificatePageText(input: CertificatePageInput): { regular: string; bold: string } {
  const c = content(input);
  return {
    regular: [
      c.titleTop,
      c.number,
      ...c.cells.flatMap((cell) => [cell.label, cell.value]),
      c.issuer,
      c.issueDate,
      c.qrCaption,
      c.identifier,
      c.note,
      '—',
    ].join(''),
    bold: c.title,
  };
}

interface Measures {
  readonly regular: TextMeasure;
  readonly bold: TextMeasure;
}

/** Lays the page out; throws DOCUMENT_LAYOUT_OVERFLOW when even the smallest type does not fit. */
export function layoutCertificatePage(input: CertificatePageInput, fonts: Measures): CertificatePage {
  if (input.template.layout !== A4_PORTRAIT_V1) {
    throw new AppError(
      'TEMPLATE_UNKNOWN',
      `证照模板 ${input.template.id} 使用了未知的版式 ${input.template.layout}`,
    );
  }
  const c = content(input);
  const { colors } = input.template;
  const items: OfdPageItem[] = [];
  const width = (text: string, size: number, font = fonts.regular) => font.widthEm(text) * size;
  const text = (
    value: string,
    x: number,
    y: number,
    size: number,
    opts: { bold?: boolean; color?: string } = {},
  ) => {
    if (value === '') return;
    const font = opts.bold ? fonts.bold : fonts.regular;
    items.push({
      kind: 'text',
      text: value,
      xMm: x,
      yMm: y,
      sizeMm: size,
      font: opts.bold ? BOLD_FONT : REGULAR_FONT,
      widthMm: round(width(value, size, font)),
      color: opts.color ?? BLACK,
    });
  };
  const centred = (value: string, y: number, size: number, opts: { bold?: boolean; color?: string } = {}) => {
    const w = width(value, size, opts.bold ? fonts.bold : fonts.regular);
    if (w > PAGE.widthMm - 2 * FRAME.inner - 4) throw overflow(`“${value.slice(0, 20)}…”超出版面宽度`);
    text(value, round((PAGE.widthMm - w) / 2), y, size, opts);
  };

  // Frames and title.
  const { outer, inner } = FRAME;
  items.push(
    {
      kind: 'rect',
      xMm: outer,
      yMm: outer,
      widthMm: PAGE.widthMm - 2 * outer,
      heightMm: PAGE.heightMm - 2 * outer,
      strokeMm: FRAME.outerStroke,
      stroke: colors.frame,
    },
    {
      kind: 'rect',
      xMm: inner,
      yMm: inner,
      widthMm: PAGE.widthMm - 2 * inner,
      heightMm: PAGE.heightMm - 2 * inner,
      strokeMm: FRAME.innerStroke,
      stroke: colors.frame,
    },
    // The national emblem's place, left as a plain frame.
    {
      kind: 'rect',
      xMm: (PAGE.widthMm - EMBLEM.size) / 2,
      yMm: EMBLEM.y,
      widthMm: EMBLEM.size,
      heightMm: EMBLEM.size,
      strokeMm: 0.4,
      stroke: colors.frame,
    },
  );
  centred(c.titleTop, TITLE_TOP.y, TITLE_TOP.size, { color: colors.title });
  centred(c.title, TITLE.y, TITLE.size, { bold: true, color: colors.title });
  centred(c.number, NUMBER.y, NUMBER.size);

  // The table, in the largest type that fits above the bottom block.
  const available = BOTTOM.top - 4 - TABLE.y;
  let table: TableLayout | undefined;
  for (const size of VALUE_SIZES) {
    const candidate = layoutTable(c.cells, size, fonts.regular);
    if (candidate.height <= available) {
      table = candidate;
      break;
    }
  }
  if (!table) throw overflow('照面内容过长，最小字号下仍超出证照版面');
  items.push(...table.items(colors.labelFill));

  // Bottom block: QR on the left, issuer and date on the right under the seal.
  const qrY = BOTTOM.top;
  items.push({
    kind: 'image',
    image: input.qr.image,
    xMm: BOTTOM.qrX,
    yMm: qrY,
    widthMm: input.qr.sizeMm,
    heightMm: input.qr.sizeMm,
  });
  const captionSize = 3.2;
  text(
    c.qrCaption,
    round(BOTTOM.qrX + (input.qr.sizeMm - width(c.qrCaption, captionSize)) / 2),
    round(qrY + input.qr.sizeMm + 0.8),
    captionSize,
    { color: GREY },
  );

  // Issuer and date in the largest type whose lines fit above the footer.
  let size = 0;
  let lines: string[] = [];
  for (const candidate of ISSUER_SIZES) {
    lines = [...wrapText(c.issuer, BOTTOM.issuerWidth / candidate, fonts.regular.widthEm), c.issueDate];
    size = candidate;
    if (lines.length * candidate * ISSUER_LINE <= BOTTOM.footerY - 3 - (BOTTOM.top + 8)) break;
    if (candidate === ISSUER_SIZES[ISSUER_SIZES.length - 1]) throw overflow('发证机关名称过长，超出证照版面');
  }
  let y = BOTTOM.top + 8;
  for (const line of lines) {
    text(line, BOTTOM.issuerX, round(y), size);
    y += size * ISSUER_LINE;
  }
  // The seal over the issuer and the date, as stamped on paper.
  const seal = input.seal.sizeMm;
  // Centred on the date line, right of the labels, as a seal is put over the date on paper.
  const textCentreX = BOTTOM.issuerX + BOTTOM.issuerWidth * 0.6;
  // … but never down onto the identifier lines.
  const textCentreY = Math.min(
    BOTTOM.top + 8 + (lines.length - 0.5) * size * ISSUER_LINE,
    BOTTOM.footerY - 1 - seal / 2,
  );
  const stampMm: [number, number, number, number] = [
    round(textCentreX - seal / 2),
    round(textCentreY - seal / 2),
    seal,
    seal,
  ];
  items.push({
    kind: 'image',
    image: input.seal.image,
    xMm: stampMm[0],
    yMm: stampMm[1],
    widthMm: seal,
    heightMm: seal,
  });

  // Identifier and note at the foot of the page.
  const footerLines = [c.identifier, c.note];
  footerLines.forEach((line, i) => {
    centred(line, BOTTOM.footerY + i * BOTTOM.footerSize * 1.7, BOTTOM.footerSize, { color: GREY });
  });

  return { page: { ...PAGE, items }, stampMm, valueSizeMm: table.valueSize };
}

interface TableLayout {
  readonly height: number;
  readonly valueSize: number;
  items(labelFill: string): OfdPageItem[];
}

interface Row {
  readonly cells: readonly Cell[];
}

/** Pairs narrow cells two to a row; a narrow cell without a partner takes the whole row. */
function rows(cells: readonly Cell[]): Row[] {
  const out: Row[] = [];
  let pending: Cell | undefined;
  for (const cell of cells) {
    if (cell.wide) {
      if (pending) out.push({ cells: [{ ...pending, wide: true }] });
      pending = undefined;
      out.push({ cells: [cell] });
    } else if (pending) {
      out.push({ cells: [pending, cell] });
      pending = undefined;
    } else pending = cell;
  }
  if (pending) out.push({ cells: [{ ...pending, wide: true }] });
  return out;
}

function layoutTable(cells: readonly Cell[], valueSize: number, measure: TextMeasure): TableLayout {
  const labelSize = round(valueSize * LABEL_RATIO);
  const { x: left, width: total, labelWidth } = TABLE;
  const pad = valueSize * TABLE.padEm;
  const half = total / 2;
  type Placed = { x: number; w: number; label: string[]; value: string[] };
  const laidOut: { y: number; h: number; cells: Placed[] }[] = [];
  let y = TABLE.y;
  for (const row of rows(cells)) {
    const placed: Placed[] = row.cells.map((cell, i) => {
      const w = row.cells.length === 1 ? total : half;
      const x = left + i * half;
      return {
        x,
        w,
        label: wrapText(cell.label, (labelWidth - 2 * pad) / labelSize, measure.widthEm),
        value:
          cell.value === ''
            ? []
            : wrapText(cell.value, (w - labelWidth - 2 * pad) / valueSize, measure.widthEm),
      };
    });
    const h = Math.max(
      valueSize * TABLE.minRowEm,
      ...placed.map(
        (p) => Math.max(p.label.length * labelSize * LINE, p.value.length * valueSize * LINE) + 2 * pad,
      ),
    );
    laidOut.push({ y, h, cells: placed });
    y += h;
  }
  return {
    height: y - TABLE.y,
    valueSize,
    items(labelFill) {
      const items: OfdPageItem[] = [];
      for (const row of laidOut) {
        for (const p of row.cells) {
          items.push(
            {
              kind: 'rect',
              xMm: round(p.x),
              yMm: round(row.y),
              widthMm: labelWidth,
              heightMm: round(row.h),
              strokeMm: TABLE.stroke,
              stroke: GREY,
              fill: labelFill,
            },
            {
              kind: 'rect',
              xMm: round(p.x + labelWidth),
              yMm: round(row.y),
              widthMm: round(p.w - labelWidth),
              heightMm: round(row.h),
              strokeMm: TABLE.stroke,
              stroke: GREY,
            },
          );
          // Text blocks are centred vertically in the row.
          const block = (lines: string[], size: number, x: number) => {
            let ty = row.y + (row.h - lines.length * size * LINE) / 2 + (size * (LINE - 1)) / 2;
            for (const line of lines) {
              if (line !== '') {
                items.push({
                  kind: 'text',
                  text: line,
                  xMm: round(x),
                  yMm: round(ty),
                  sizeMm: size,
                  font: REGULAR_FONT,
                  widthMm: round(measure.widthEm(line) * size),
                  color: BLACK,
                });
              }
              ty += size * LINE;
            }
          };
          block(p.label, labelSize, p.x + pad);
          block(p.value, valueSize, p.x + labelWidth + pad);
        }
      }
      return items;
    },
  };
}

/** Positions at 0.001 mm, the precision the OFD writer prints. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
