/**
 * Spreadsheet cells → the wire types of the intake contract (docs/catalog.md): dates
 * `YYYY-MM-DD`, codes as strings, integers as numbers, lists as arrays. Conversion is lenient
 * on purpose: a value that is merely wrong (a bad date, a capacity without unit) is passed on
 * so the standard checks name the problem and the record is kept for correction; only a value
 * that cannot be carried faithfully (an Excel error cell, a number Excel has already rounded)
 * stops the row here.
 */
import type { CodeTable, FieldDefinition } from '../../domain/catalog/types.ts';
import { addDays, isRealDate } from '../../domain/dates.ts';

/** One cell as the readers hand it over. */
export type Cell = string | number | boolean | Date | { error: string } | null;

export type Converted = { ok: true; value: unknown } | { ok: false; code: ImportErrorCode; message: string };

/** Row-level problems found while reading the file (the rest come from the intake checks). */
export const importErrorCodes = {
  CELL_ERROR: '单元格是 Excel 错误值或没有计算结果的公式',
  PRECISION_LOST: '长数字在 Excel 中按数值保存会丢失精度（超过 15 位），应设为文本格式',
} as const;
export type ImportErrorCode = keyof typeof importErrorCodes;

/** exceljs cell values (rich text, formulas, hyperlinks, shared strings) → a plain Cell. */
export function normalizeCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { error: String(value) };
  if (typeof value === 'boolean' || value instanceof Date) return value;
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) {
      return (v.richText as { text?: unknown }[])
        .map((r) => (typeof r.text === 'string' ? r.text : ''))
        .join('');
    }
    if ('error' in v) return { error: String(v.error) };
    if ('formula' in v || 'sharedFormula' in v) {
      return v.result === undefined ? { error: '公式无结果' } : normalizeCell(v.result);
    }
    if ('text' in v) return normalizeCell(v.text);
  }
  return { error: '无法识别的单元格' };
}

export function isBlank(cell: Cell): boolean {
  return cell === null || (typeof cell === 'string' && cell.trim() === '');
}

const cellError = (cell: { error: string }): Converted => ({
  ok: false,
  code: 'CELL_ERROR',
  message: `单元格为错误值 ${cell.error}，请在 Excel 中修正后重新导入`,
});

const precisionLost = (shown: string): Converted => ({
  ok: false,
  code: 'PRECISION_LOST',
  message: `数值 ${shown} 超过 15 位，Excel 已按数值保存并丢失了末尾数字；请将该列设为文本格式并重新填写`,
});

/** Excel keeps 15 significant digits; a longer integer is no longer the number typed. */
const MAX_EXACT = 1e15;
// What a long number becomes when Excel writes a CSV: 2.10102E+17.
const SCIENTIFIC = /^[+-]?\d(\.\d+)?e\+?\d+$/i;

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function utcDate(d: Date): string {
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/**
 * Excel serial day → date. Day 60 is Excel's phantom 1900-02-29 (a Lotus bug it keeps), so
 * serials from 61 on count from 1899-12-30 and the first two months from 1899-12-31.
 */
function excelSerialDate(serial: number): string {
  const day = Math.floor(serial);
  return day >= 61 ? addDays('1899-12-30', day) : addDays('1899-12-31', day);
}

/** A date in any form people type or Excel stores → `YYYY-MM-DD`; otherwise the value as it was. */
export function toDate(cell: Exclude<Cell, null>): Converted {
  if (typeof cell === 'object' && !(cell instanceof Date)) return cellError(cell);
  // exceljs turns date-formatted cells into the UTC midnight of the day shown.
  if (cell instanceof Date) return { ok: true, value: utcDate(cell) };
  if (typeof cell === 'number') {
    if (Number.isInteger(cell) && cell >= 19000101 && cell <= 29991231) {
      const s = String(cell);
      const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
      if (isRealDate(iso)) return { ok: true, value: iso };
    }
    if (cell >= 1 && cell < 2_958_466) return { ok: true, value: excelSerialDate(cell) };
    return { ok: true, value: String(cell) };
  }
  if (typeof cell === 'boolean') return { ok: true, value: cell };
  const text = cell.trim();
  const m =
    /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.exec(
      text,
    ) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (m) return { ok: true, value: `${m[1]}-${pad2(Number(m[2]))}-${pad2(Number(m[3]))}` };
  return { ok: true, value: text };
}

/** Text of a cell for a string field; numbers keep every digit they still have. */
export function toText(cell: Exclude<Cell, null>, opts: { codeLike: boolean }): Converted {
  if (cell instanceof Date) return { ok: true, value: utcDate(cell) };
  if (typeof cell === 'object') return cellError(cell);
  if (typeof cell === 'boolean') return { ok: true, value: cell ? '是' : '否' };
  if (typeof cell === 'number') {
    if (Number.isInteger(cell) && Math.abs(cell) >= MAX_EXACT) return precisionLost(String(cell));
    return { ok: true, value: String(cell) };
  }
  const text = cell.trim();
  if (opts.codeLike && SCIENTIFIC.test(text)) return precisionLost(text);
  return { ok: true, value: text };
}

/**
 * Codes are strings on the wire. Excel drops leading zeros of a code typed as a number
 * (持证主体代码类型 001 → 1); when exactly one code of the table has that numeric value it is
 * the one meant, since the stripped form can never be valid.
 */
export function toCode(cell: Exclude<Cell, null>, table: CodeTable | undefined): Converted {
  const text = toText(cell, { codeLike: true });
  if (!text.ok || !table || typeof text.value !== 'string' || !/^\d+$/.test(text.value)) return text;
  const value = text.value;
  if (table.entries.some((e) => e.code === value)) return text;
  const padded = table.entries.filter((e) => /^\d+$/.test(e.code) && Number(e.code) === Number(value));
  return padded.length === 1 ? { ok: true, value: padded[0]!.code } : text;
}

export function toInteger(cell: Exclude<Cell, null>): Converted {
  if (typeof cell === 'number') return { ok: true, value: cell };
  if (typeof cell === 'string') {
    const text = cell.trim();
    if (/^[+-]?\d+$/.test(text)) return { ok: true, value: Number(text) };
    // 6,850 — a thousands separator is formatting, not part of the number.
    if (/^\d{1,3}(,\d{3})+$/.test(text)) return { ok: true, value: Number(text.replaceAll(',', '')) };
    return { ok: true, value: text };
  }
  if (cell instanceof Date || typeof cell === 'boolean') return { ok: true, value: cell };
  return cellError(cell);
}

/** 从业资格类别 and other lists: one cell, items separated by ; ； or 、. */
export function toList(cell: Exclude<Cell, null>): Converted {
  const text = toText(cell, { codeLike: false });
  if (!text.ok || typeof text.value !== 'string') return text;
  return {
    ok: true,
    value: text.value
      .split(/[;；、]/)
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/** A cell for a catalog field (envelope or face), by the field's type. */
export function toWire(
  cell: Exclude<Cell, null>,
  def: FieldDefinition | undefined,
  codeTables: Readonly<Record<string, CodeTable>>,
): Converted {
  switch (def?.type) {
    case 'date':
      return toDate(cell);
    case 'integer':
      return toInteger(cell);
    case 'stringList':
      return toList(cell);
    case 'code':
      return toCode(cell, def.codeTable ? codeTables[def.codeTable] : undefined);
    case undefined:
      // A face column the row's kind does not have: kept as text, the checks report it.
      return toText(cell, { codeLike: false });
    default:
      // Text, identifiers and codes. A whole cell reading 2.10102E+17 is Excel's rounding of
      // a long number even in a text field, never something a person wrote.
      return toText(cell, { codeLike: true });
  }
}
