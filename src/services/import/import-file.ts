import { stat } from 'node:fs/promises';
import path from 'node:path';
import { dataEvents, type IntakeEvent } from '../../domain/lifecycle.ts';
import { isWithinRegion, requireRegion } from '../../domain/regions.ts';
import { AppError, isAppError } from '../../errors.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor } from '../context.ts';
import { submitRecords } from '../intake/submit-records.ts';
import type { IntakeContext, IntakeResult, IntakeSource, IntakeStatus } from '../intake/types.ts';
import { buildColumnTable, missingColumns } from './columns.ts';
import {
  earlierOutcomes,
  fileDigest,
  finishImportRun,
  openImportRun,
  pairKey,
  recordProgress,
} from './import-runs.ts';
import { readTable, type TableFormat } from './read-table.ts';
import {
  openResultReport,
  type ReportRow,
  type ReportSummary,
  reportPathFor,
  statusOrder,
} from './result-report.ts';
import { type ConvertedRow, makeRowConverter, type SheetContext } from './row-to-record.ts';

export interface ImportFileOptions {
  filePath: string;
  /** Rows must lie inside this region: the province, or the department given with --region. */
  regionCode: string;
  actor: Actor;
  /** Ignore the progress of an earlier, unfinished import of the same file. */
  restart?: boolean;
  /** Rows per submitRecords call; progress is saved after each. */
  chunkSize?: number;
  concurrency?: number;
  onEvent?: (event: ImportEvent) => void;
}

export type ImportEvent =
  | {
      type: 'start';
      runId: string;
      totalRows: number;
      resumed: boolean;
      /** Rows an earlier attempt of this run had saved as done. */
      processedBefore: number;
      sheets: ReportSummary['sheets'];
      ignoredColumns: string[];
    }
  | { type: 'progress'; done: number; total: number };

export interface ImportSummary extends ReportSummary {
  reportPath: string;
  resumed: boolean;
}

/** Unusable input (exit 2): nothing has been submitted when this is thrown. */
function inputError(message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('VALIDATION_FAILED', message, { details });
}

export function tableFormatOf(filePath: string): TableFormat {
  const ext = path.extname(filePath).toLowerCase();
  if (ext === '.xlsx') return 'xlsx';
  if (ext === '.csv') return 'csv';
  if (ext === '.xls' || ext === '.et') {
    throw inputError(`不支持 ${ext} 格式：请在 Excel/WPS 中另存为 .xlsx 后再导入`, { extension: ext });
  }
  throw inputError(`无法识别的文件类型“${ext || '（无扩展名）'}”：只支持 .xlsx 和 .csv`, { extension: ext });
}

interface Survey {
  totalRows: number;
  sheets: ReportSummary['sheets'];
  ignoredColumns: string[];
}

/**
 * First pass over the file: counts the rows (for progress and the run record) and checks every
 * sheet's columns, so an unusable file is refused before a single row is submitted.
 */
async function surveyFile(
  filePath: string,
  format: TableFormat,
  ctx: IntakeContext,
  converter: ReturnType<typeof makeRowConverter>,
): Promise<Survey> {
  const catalog = ctx.catalog.content;
  const table = buildColumnTable(catalog);
  const problems: string[] = [];
  const sheets: Survey['sheets'] = [];
  const ignored = new Set<string>();
  let totalRows = 0;
  let current: { name: string; sheet: SheetContext; rows: number; kinds: Map<string, boolean> } | null = null;

  const closeSheet = () => {
    if (!current) return;
    const { name, sheet, rows, kinds } = current;
    const where = format === 'xlsx' ? `工作表“${name}”` : `文件“${name}”`;
    const kindFromSheet = sheet.sheetKind !== undefined;
    const missing = new Set<string>();
    const known = [...kinds].filter(([code]) => catalog.kinds.some((k) => k.code === code));
    if (known.length === 0) {
      for (const key of missingColumns(sheet.layout, undefined, { kindFromSheet, hasDataEvents: true }))
        missing.add(key);
    }
    for (const [code, hasDataEvents] of known) {
      const kind = catalog.kinds.find((k) => k.code === code);
      for (const key of missingColumns(sheet.layout, kind, { kindFromSheet, hasDataEvents }))
        missing.add(key);
    }
    if (missing.size) {
      problems.push(`${where}缺少必需的列：${[...missing].map((k) => table.labelOf(k)).join('、')}`);
    }
    const kindName = catalog.kinds.find((k) => k.code === sheet.sheetKind)?.name;
    sheets.push({
      name,
      rows,
      note: kindName
        ? `证照类型：${kindName}${sheet.layout.keys.has('kind') ? '（行内“证照类型”优先）' : ''}`
        : '证照类型取自“证照类型”列',
    });
    current = null;
  };

  try {
    for await (const item of readTable(filePath, format, catalog, table)) {
      if (item.type === 'sheet') {
        closeSheet();
        const where = format === 'xlsx' ? `工作表“${item.name}”` : `文件“${item.name}”`;
        if (!item.sheet) {
          sheets.push({ name: item.name, rows: 0, note: '未找到可识别的表头，已跳过' });
          continue;
        }
        for (const p of item.sheet.layout.problems) problems.push(`${where}：${p}`);
        for (const u of item.sheet.layout.unknown) ignored.add(u);
        if (item.sheet.sheetKind === undefined && !item.sheet.layout.keys.has('kind')) {
          problems.push(
            `${where}无法确定证照类型：${format === 'xlsx' ? '工作表名称应为证照类型代码或名称（如“道路运输证”），或' : '请'}增加“证照类型（kind）”列`,
          );
        }
        current = { name: item.name, sheet: item.sheet, rows: 0, kinds: new Map() };
        continue;
      }
      totalRows += 1;
      if (!current) continue;
      current.rows += 1;
      const { record } = converter.convert(item.cells, item.sheet);
      if (typeof record.kind === 'string') {
        const data = dataEvents.has(record.event as IntakeEvent);
        current.kinds.set(record.kind, (current.kinds.get(record.kind) ?? false) || data);
      }
    }
    closeSheet();
  } catch (e) {
    if (isAppError(e)) throw e;
    throw inputError(`无法读取文件“${path.basename(filePath)}”：${(e as Error).message}`);
  }
  if (problems.length) throw inputError(problems.join('\n'), { problems });
  if (totalRows === 0) throw inputError(`文件“${path.basename(filePath)}”中没有可导入的数据行`);
  return { totalRows, sheets, ignoredColumns: [...ignored] };
}

interface PendingRow {
  sheet: string;
  rowNumber: number;
  converted: ConvertedRow;
}

const emptyCounts = (): Record<IntakeStatus, number> =>
  Object.fromEntries(statusOrder.map((s) => [s, 0])) as Record<IntakeStatus, number>;

function rowFromResult(p: PendingRow, r: IntakeResult): ReportRow {
  return {
    sheet: p.sheet,
    rowNumber: p.rowNumber,
    sourceRecordId: r.sourceRecordId ?? p.converted.sourceRecordId,
    sourceVersion: r.sourceVersion ?? p.converted.sourceVersion,
    status: r.status,
    originalStatus: r.originalStatus,
    identifier: r.identifier,
    errors: r.errors,
    fromEarlierRun: false,
  };
}

/**
 * `roadcert import` (应归尽归, R-5.2): a spreadsheet or CSV of certificates through the intake
 * path, in chunks, each record its own transaction, with a per-row result workbook.
 *
 * Resuming: progress is saved per chunk in `import_runs` under the file's SM3 digest. A run
 * taken over after an interruption reads back, for each row, what the earlier attempt stored
 * under the run's client id (`import:<runId>`) and reports that outcome instead of sending the
 * row again — the report then reads as if the run had never stopped. Rows the earlier attempt
 * rejected left nothing behind and are sent again; rows of the chunk in flight at the crash
 * are found by the same read-back, so nothing is sealed twice and no `duplicate` is invented.
 */
export async function importFile(ctx: IntakeContext, opts: ImportFileOptions): Promise<ImportSummary> {
  const chunkSize = Math.max(1, opts.chunkSize ?? 200);
  const format = tableFormatOf(opts.filePath);
  const region = requireRegion(opts.regionCode);
  if (!isWithinRegion(region.code, ctx.config.province.code)) {
    throw new AppError(
      'REGION_UNKNOWN',
      `行政区划 ${region.code} 不在本省（${ctx.config.province.code}）范围内`,
      {
        details: { regionCode: region.code },
      },
    );
  }
  const info = await stat(opts.filePath).catch((e: NodeJS.ErrnoException) => {
    throw inputError(
      e.code === 'ENOENT'
        ? `文件不存在：${opts.filePath}`
        : `无法读取文件 ${opts.filePath}：${e.code ?? e.message}`,
    );
  });
  if (!info.isFile()) throw inputError(`不是文件：${opts.filePath}`);

  const fileName = path.basename(opts.filePath);
  const digest = await fileDigest(opts.filePath);
  const converter = makeRowConverter(ctx.catalog.content);
  const survey = await surveyFile(opts.filePath, format, ctx, converter);

  // Opened before the run is recorded: an unwritable folder fails here, having changed nothing.
  const report = await openResultReport(reportPathFor(opts.filePath));
  const startedAt = ctx.clock.now();
  let run: Awaited<ReturnType<typeof openImportRun>>;
  try {
    run = await openImportRun(ctx.db, {
      fileName,
      fileDigest: digest,
      totalRows: survey.totalRows,
      restart: opts.restart ?? false,
      now: startedAt,
    });
  } catch (e) {
    await report.discard();
    throw e;
  }
  const { resumed } = run;
  const runId = run.run.id;
  const source: IntakeSource = { clientId: `import:${runId}`, regionCode: region.code, actor: opts.actor };
  opts.onEvent?.({
    type: 'start',
    runId,
    totalRows: survey.totalRows,
    resumed,
    processedBefore: resumed ? run.run.processedRows : 0,
    sheets: survey.sheets,
    ignoredColumns: survey.ignoredColumns,
  });

  const counts = emptyCounts();
  let fromEarlierRun = 0;
  let done = 0;
  // Pairs already reported in this pass, kept only when resuming: a read-back hit on one of
  // them is a repeat of the pair further down the file, which is a `duplicate` as in a fresh run.
  const reported = new Set<string>();
  const progress = (n: number) => {
    if (n === 0) return;
    done += n;
    opts.onEvent?.({ type: 'progress', done, total: survey.totalRows });
  };

  const flush = async (chunk: PendingRow[]) => {
    const rows: (ReportRow | undefined)[] = new Array(chunk.length);
    const pairOf = (p: PendingRow) =>
      p.converted.sourceRecordId !== null && p.converted.sourceVersion !== null
        ? { sourceRecordId: p.converted.sourceRecordId, sourceVersion: p.converted.sourceVersion }
        : null;
    const earlier = resumed
      ? await earlierOutcomes(
          ctx.db,
          source.clientId,
          chunk.flatMap((p) => (p.converted.errors.length ? [] : (pairOf(p) ?? []))),
        )
      : new Map();
    const toSubmit: number[] = [];
    chunk.forEach((p, i) => {
      const base = {
        sheet: p.sheet,
        rowNumber: p.rowNumber,
        sourceRecordId: p.converted.sourceRecordId,
        sourceVersion: p.converted.sourceVersion,
      };
      if (p.converted.errors.length) {
        rows[i] = { ...base, status: 'rejected', errors: p.converted.errors, fromEarlierRun: false };
        return;
      }
      const pair = pairOf(p);
      const key = pair && pairKey(pair.sourceRecordId, pair.sourceVersion);
      const prior = key ? earlier.get(key) : undefined;
      if (key && prior) {
        rows[i] = reported.has(key)
          ? { ...base, ...prior, status: 'duplicate', originalStatus: prior.status, fromEarlierRun: false }
          : { ...base, ...prior, fromEarlierRun: true };
        reported.add(key);
        return;
      }
      toSubmit.push(i);
    });
    progress(chunk.length - toSubmit.length);
    if (toSubmit.length) {
      const results = await submitRecords(
        ctx,
        source,
        toSubmit.map((i) => chunk[i]!.converted.record),
        { concurrency: opts.concurrency ?? 4, bulk: true, onResult: () => progress(1) },
      );
      results.forEach((r, j) => {
        const i = toSubmit[j]!;
        rows[i] = rowFromResult(chunk[i]!, r);
        if (resumed && r.sourceRecordId !== null && r.sourceVersion !== null) {
          reported.add(pairKey(r.sourceRecordId, r.sourceVersion));
        }
      });
    }
    for (const row of rows) {
      report.add(row!);
      counts[row!.status] += 1;
      if (row!.fromEarlierRun) fromEarlierRun += 1;
    }
  };

  try {
    let chunk: PendingRow[] = [];
    let saved = 0;
    for await (const item of readTable(
      opts.filePath,
      format,
      ctx.catalog.content,
      buildColumnTable(ctx.catalog.content),
    )) {
      if (item.type !== 'row') continue;
      chunk.push({
        sheet: item.sheetName,
        rowNumber: item.number,
        converted: converter.convert(item.cells, item.sheet),
      });
      if (chunk.length >= chunkSize) {
        await flush(chunk);
        saved += chunk.length;
        chunk = [];
        await recordProgress(ctx.db, runId, Math.max(saved, run.run.processedRows));
      }
    }
    if (chunk.length) await flush(chunk);
    saved += chunk.length;
    const finishedAt = ctx.clock.now();
    const summary: ReportSummary = {
      fileName,
      fileDigest: digest,
      runId,
      startedAt,
      finishedAt,
      totalRows: saved,
      counts,
      fromEarlierRun,
      sheets: survey.sheets,
      ignoredColumns: survey.ignoredColumns,
    };
    const reportPath = await report.finish(summary);
    await recordProgress(ctx.db, runId, saved);
    await ctx.db.transaction(async (tx) => {
      await finishImportRun(tx, runId, 'completed', finishedAt);
      // Each record is audited on its own; this records who loaded which file, and its outcome.
      await appendAudit(
        tx,
        opts.actor,
        {
          action: 'import.run',
          regionCode: region.code,
          targetType: 'import_run',
          targetId: runId,
          details: { fileName, fileDigest: digest, rows: saved, counts, resumed },
        },
        { at: finishedAt, requestId: ctx.requestId },
      );
    });
    return { ...summary, reportPath, resumed };
  } catch (e) {
    await report.discard().catch(() => {});
    await finishImportRun(ctx.db, runId, 'failed', ctx.clock.now()).catch(() => {});
    throw e;
  }
}
