import type { CatalogContent } from '../../domain/catalog/types.ts';
import type { IntakeError } from '../intake/types.ts';
import { type Cell, isBlank, toInteger, toText, toWire } from './cells.ts';
import { type ColumnTable, eventLookup, fieldOf, type HeaderLayout, kindLookup } from './columns.ts';

/** What is known about a sheet before its rows are read. */
export interface SheetContext {
  catalog: CatalogContent;
  table: ColumnTable;
  layout: HeaderLayout;
  /** Kind code given by the sheet's name, if it names one. */
  sheetKind: string | undefined;
}

export interface ConvertedRow {
  sourceRecordId: string | null;
  sourceVersion: number | null;
  /** The intake record, flattened columns put back into their nested places. */
  record: Record<string, unknown>;
  /** Cells that could not be carried over; the row is then not submitted. */
  errors: IntakeError[];
}

/** Row defaults (docs/import.md): version 1; `issue` only when the file has no event column. */
export const DEFAULT_EVENT = 'issue';
export const DEFAULT_SOURCE_VERSION = 1;

export function makeRowConverter(catalog: CatalogContent) {
  const findKind = kindLookup(catalog);
  const findEvent = eventLookup();

  /** The kind of a row: its own kind cell (code or Chinese name), else the sheet's. */
  const kindOf = (cells: readonly Cell[], sheet: SheetContext): string | undefined => {
    const col = sheet.layout.columns.find((c) => c.key === 'kind');
    const cell = col ? (cells[col.index] ?? null) : null;
    if (cell === null || isBlank(cell)) return sheet.sheetKind;
    const text = toText(cell, { codeLike: false });
    if (!text.ok || typeof text.value !== 'string') return undefined;
    return findKind(text.value) ?? text.value;
  };

  return {
    kindOf,
    convert(cells: readonly Cell[], sheet: SheetContext): ConvertedRow {
      const kindCode = kindOf(cells, sheet);
      const kind = catalog.kinds.find((k) => k.code === kindCode);
      const record: Record<string, unknown> = { face: {} };
      if (kindCode !== undefined) record.kind = kindCode;
      const errors: IntakeError[] = [];
      for (const { index, key } of sheet.layout.columns) {
        if (key === 'kind') continue;
        const cell = cells[index] ?? null;
        if (cell === null || isBlank(cell)) continue;
        let converted: ReturnType<typeof toText>;
        switch (key) {
          case 'sourceVersion':
            converted = toInteger(cell);
            break;
          case 'event': {
            converted = toText(cell, { codeLike: false });
            if (converted.ok && typeof converted.value === 'string')
              converted = { ok: true, value: findEvent(converted.value) ?? converted.value };
            break;
          }
          case 'sourceRecordId':
          case 'reason':
            converted = toText(cell, { codeLike: key === 'sourceRecordId' });
            break;
          default:
            converted = toWire(cell, fieldOf(key, kind), catalog.codeTables);
        }
        if (converted.ok) setPath(record, key, converted.value);
        else
          errors.push({
            field: key,
            code: converted.code,
            message: `${sheet.table.labelOf(key)}：${converted.message}`,
          });
      }
      record.sourceVersion ??= DEFAULT_SOURCE_VERSION;
      if (!sheet.layout.keys.has('event')) record.event = DEFAULT_EVENT;
      return {
        sourceRecordId: typeof record.sourceRecordId === 'string' ? record.sourceRecordId : null,
        sourceVersion: typeof record.sourceVersion === 'number' ? record.sourceVersion : null,
        record,
        errors,
      };
    },
  };
}

/** `holder.id` → record.holder.id; the contract nests one level at most. */
function setPath(record: Record<string, unknown>, key: string, value: unknown): void {
  const dot = key.indexOf('.');
  if (dot < 0) {
    record[key] = value;
    return;
  }
  const head = key.slice(0, dot);
  const inner = (record[head] ?? {}) as Record<string, unknown>;
  inner[key.slice(dot + 1)] = value;
  record[head] = inner;
}
