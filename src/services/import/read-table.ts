/**
 * Streaming readers for import files: rows come out one at a time, so a file of 100,000 rows
 * is never held in memory (exceljs' streaming reader keeps only the shared-string table of an
 * .xlsx; a CSV keeps nothing).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import unzipper from 'unzipper';
import type { CatalogContent } from '../../domain/catalog/types.ts';
import { type Cell, isBlank, normalizeCell } from './cells.ts';
import { type ColumnTable, type HeaderLayout, kindLookup, resolveHeader } from './columns.ts';
import type { SheetContext } from './row-to-record.ts';

export type TableFormat = 'xlsx' | 'csv';

type RawItem =
  | { type: 'sheet'; name: string; nameMayGiveKind: boolean }
  | { type: 'row'; number: number; cells: Cell[] };

/** The parts of exceljs' streaming reader that the replacement `parse` below drives. */
interface ReaderInternals {
  workbookRels?: { Id: string; Type?: string; Target: string }[];
  model?: { sheets?: { name: string; id: number; rId: string; state?: string }[] };
  parse(): AsyncGenerator<{ eventType: string; value: unknown }>;
  _parseRels(entry: NodeJS.ReadableStream): Promise<void>;
  _parseWorkbook(entry: NodeJS.ReadableStream): Promise<void>;
  _parseSharedStrings(entry: NodeJS.ReadableStream): AsyncGenerator<unknown>;
  _parseStyles(entry: NodeJS.ReadableStream): Promise<void>;
  _parseWorksheet(
    chunks: AsyncIterable<string>,
    sheetNo: string,
  ): Generator<{ eventType: string; value: { name?: string } }>;
}

async function* utf8Chunks(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/**
 * exceljs 4.4's streaming reader, with its archive walk replaced. Two upstream bugs make the
 * stock walk unfit for an import that must not lose a row:
 * - it reads the zip as one forward stream, and on Node ≥ 18 entries pushed while it waits are
 *   sometimes dropped (exceljs #3064, #1558; unzipper #234): the workbook part goes missing (a
 *   crash) or, in other layouts, a worksheet or the shared strings would;
 * - it decodes every 16 KiB of XML on its own, so a Chinese character split across two chunks
 *   turns into U+FFFD (exceljs #2063, #2084, #2316), about one row in a few thousand.
 * Here the parts are found through the zip's central directory (random access, each part
 * inflated once, when needed), the workbook, shared strings and styles are parsed before any sheet, sheets come in
 * tab order, and all XML reaches the parser as text from one UTF-8 decoder per part. exceljs
 * still parses the XML, cells, styles and dates. Fails loudly if a new exceljs renames these.
 */
function centralDirectoryWorkbookReader(filePath: string) {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(filePath, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    // Styles tell which numeric cells are dates.
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const internals = reader as unknown as ReaderInternals;
  for (const method of [
    '_parseRels',
    '_parseWorkbook',
    '_parseSharedStrings',
    '_parseStyles',
    '_parseWorksheet',
  ])
    if (typeof (internals as unknown as Record<string, unknown>)[method] !== 'function')
      throw new Error(`exceljs 的流式读取接口已变化（缺少 ${method}），请检查 exceljs 版本`);

  internals.parse = async function* () {
    const directory = await unzipper.Open.file(filePath);
    const parts = new Map(directory.files.map((f) => [f.path.replace(/^\//, ''), f]));
    const text = (name: string) => {
      const stream = parts.get(name)?.stream();
      stream?.setEncoding('utf8');
      return stream;
    };
    const rels = text('xl/_rels/workbook.xml.rels');
    const book = text('xl/workbook.xml');
    if (!rels || !book) throw new Error('缺少 xl/workbook.xml，不是有效的 .xlsx 文件');
    await internals._parseRels(rels);
    await internals._parseWorkbook(book);
    const shared = text('xl/sharedStrings.xml');
    if (shared) for await (const _ of internals._parseSharedStrings(shared));
    const styles = text('xl/styles.xml');
    if (styles) await internals._parseStyles(styles);
    for (const sheet of internals.model?.sheets ?? []) {
      const rel = internals.workbookRels?.find((r) => r.Id === sheet.rId);
      // Chart sheets and dialog sheets hold no rows.
      if (!rel?.Type?.endsWith('/worksheet')) continue;
      const target = rel.Target.startsWith('/') ? rel.Target.slice(1) : `xl/${rel.Target}`;
      const part = parts.get(target);
      if (!part) throw new Error(`缺少工作表“${sheet.name}”的数据（${target}）`);
      const sheetNo = /sheet(\d+)\.xml$/.exec(target)?.[1] ?? String(sheet.id);
      for (const event of internals._parseWorksheet(utf8Chunks(part.stream()), sheetNo)) {
        event.value.name = sheet.name;
        yield event;
      }
    }
  };
  return reader;
}

async function* readXlsx(filePath: string): AsyncGenerator<RawItem> {
  const reader = centralDirectoryWorkbookReader(filePath);
  let n = 0;
  for await (const sheet of reader) {
    n += 1;
    const name = (sheet as unknown as { name?: string }).name ?? `Sheet${n}`;
    yield { type: 'sheet', name, nameMayGiveKind: true };
    for await (const row of sheet) {
      const values = row.values as unknown[];
      const cells: Cell[] = [];
      for (let i = 1; i < values.length; i++) cells.push(normalizeCell(values[i]));
      yield { type: 'row', number: row.number, cells };
    }
  }
}

/**
 * CSV in UTF-8 (with or without BOM) or, as Excel's “CSV（逗号分隔）” writes it on a Chinese
 * system, GB18030/GBK: the first 64 KiB decide.
 */
async function csvEncoding(filePath: string): Promise<'utf-8' | 'gb18030'> {
  const fh = await open(filePath, 'r');
  try {
    const buf = Buffer.alloc(65_536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, bytesRead), { stream: true });
    return 'utf-8';
  } catch (e) {
    if (e instanceof TypeError) return 'gb18030';
    throw e;
  } finally {
    await fh.close();
  }
}

async function* readCsv(filePath: string): AsyncGenerator<RawItem> {
  const decoder = new TextDecoder(await csvEncoding(filePath));
  const decode = new Transform({
    readableObjectMode: false,
    transform(chunk: Buffer, _enc, cb) {
      cb(null, decoder.decode(chunk, { stream: true }));
    },
    flush(cb) {
      cb(null, decoder.decode());
    },
  });
  const parser = createReadStream(filePath)
    .pipe(decode)
    .pipe(parse({ relax_column_count: true, bom: true, skip_empty_lines: false }));
  yield { type: 'sheet', name: path.basename(filePath), nameMayGiveKind: false };
  // Row numbers count CSV records, header = 1, as Excel shows the file when it opens it.
  let number = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    number += 1;
    yield { type: 'row', number, cells: record.map((v) => (v === '' ? null : v)) };
  }
}

export type TableItem =
  | {
      type: 'sheet';
      name: string;
      /** null: no recognizable header, the sheet is skipped (an instructions sheet, say). */
      sheet: SheetContext | null;
    }
  | { type: 'row'; sheetName: string; sheet: SheetContext; number: number; cells: Cell[] };

/**
 * Sheets and their data rows. The first non-blank row of a sheet is its header; blank rows
 * are dropped. A sheet's kind comes from its name (kind code, full or short name) when the
 * format has sheet names.
 */
export async function* readTable(
  filePath: string,
  format: TableFormat,
  catalog: CatalogContent,
  table: ColumnTable,
): AsyncGenerator<TableItem> {
  const findKind = kindLookup(catalog);
  let current: {
    name: string;
    nameMayGiveKind: boolean;
    sheet: SheetContext | null;
    headerSeen: boolean;
  } | null = null;
  const source = format === 'xlsx' ? readXlsx(filePath) : readCsv(filePath);
  for await (const item of source) {
    if (item.type === 'sheet') {
      if (current && !current.headerSeen) yield { type: 'sheet', name: current.name, sheet: null };
      current = { ...item, sheet: null, headerSeen: false };
      continue;
    }
    if (!current || item.cells.every(isBlank)) continue;
    if (!current.headerSeen) {
      current.headerSeen = true;
      const layout: HeaderLayout = resolveHeader(
        table,
        item.cells.map((c) => (c === null ? null : c instanceof Date ? c.toISOString() : String(c))),
      );
      current.sheet =
        layout.columns.length === 0 && layout.problems.length === 0
          ? null
          : {
              catalog,
              table,
              layout,
              sheetKind: current.nameMayGiveKind ? findKind(current.name) : undefined,
            };
      yield { type: 'sheet', name: current.name, sheet: current.sheet };
      continue;
    }
    if (current.sheet) {
      yield {
        type: 'row',
        sheetName: current.name,
        sheet: current.sheet,
        number: item.number,
        cells: item.cells,
      };
    }
  }
  if (current && !current.headerSeen) yield { type: 'sheet', name: current.name, sheet: null };
}
