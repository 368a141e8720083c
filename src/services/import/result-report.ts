/**
 * The per-row result workbook written beside the input (`<name>-result.xlsx`). Rows stream to
 * disk as they are decided, into a temporary file renamed at the end, so a report on disk is
 * always a complete one and memory does not grow with the file.
 */
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { IntakeError, IntakeStatus } from '../intake/types.ts';

export const statusNames: Record<IntakeStatus, string> = {
  issued: '已签发电子证照',
  updated: '已更新',
  recorded: '已归集（纸质证照）',
  nonstandard: '数据不规范（已进入待纠正队列）',
  duplicate: '重复（此前已接收，未重复处理）',
  rejected: '已拒收（未入库）',
};

export const statusOrder: readonly IntakeStatus[] = [
  'issued',
  'updated',
  'recorded',
  'nonstandard',
  'duplicate',
  'rejected',
];

export interface ReportRow {
  sheet: string;
  rowNumber: number;
  sourceRecordId: string | null;
  sourceVersion: number | null;
  status: IntakeStatus;
  /** For `duplicate`: the outcome the record had when first received. */
  originalStatus?: IntakeStatus | undefined;
  identifier?: string | undefined;
  errors?: readonly IntakeError[] | undefined;
  /** Decided by an earlier, interrupted run of the same file and read back, not re-sent. */
  fromEarlierRun: boolean;
}

export interface ReportSummary {
  fileName: string;
  fileDigest: string;
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  totalRows: number;
  counts: Record<IntakeStatus, number>;
  fromEarlierRun: number;
  sheets: { name: string; rows: number; note: string }[];
  ignoredColumns: string[];
}

export function reportPathFor(inputPath: string): string {
  const ext = path.extname(inputPath);
  return path.join(path.dirname(inputPath), `${path.basename(inputPath, ext)}-result.xlsx`);
}

export interface ResultReport {
  add(row: ReportRow): void;
  finish(summary: ReportSummary): Promise<string>;
  discard(): Promise<void>;
}

export async function openResultReport(finalPath: string): Promise<ResultReport> {
  // A fixed temporary name: a run killed mid-way leaves one file that the next run overwrites.
  const tmpPath = `${finalPath}.partial`;
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: tmpPath,
    useStyles: true,
    useSharedStrings: false,
  });
  const rows = workbook.addWorksheet('处理结果', { views: [{ state: 'frozen', ySplit: 1 }] });
  rows.columns = [
    { header: '工作表', width: 22 },
    { header: '行号', width: 8 },
    { header: '源记录标识', width: 24 },
    { header: '源记录版本', width: 10 },
    { header: '状态', width: 12 },
    { header: '状态说明', width: 26 },
    { header: '原处理结果', width: 14 },
    { header: '电子证照标识', width: 56 },
    { header: '错误信息', width: 80 },
    { header: '错误代码', width: 30 },
    { header: '备注', width: 24 },
  ];
  rows.getRow(1).font = { bold: true };
  rows.getRow(1).commit();

  return {
    add(r) {
      rows
        .addRow([
          r.sheet,
          r.rowNumber,
          r.sourceRecordId ?? '',
          r.sourceVersion ?? '',
          r.status,
          statusNames[r.status],
          r.originalStatus ? statusNames[r.originalStatus] : '',
          r.identifier ?? '',
          (r.errors ?? []).map((e) => e.message).join('；'),
          [...new Set((r.errors ?? []).map((e) => e.code))].join(', '),
          r.fromEarlierRun ? '前次中断的导入已处理' : '',
        ])
        .commit();
    },
    async finish(s) {
      rows.commit();
      // Added after the row sheet: a streamed workbook writes its sheets in order.
      const sum = workbook.addWorksheet('汇总');
      sum.columns = [{ width: 30 }, { width: 70 }];
      const line = (a: string, b: string | number, bold = false) => {
        const row = sum.addRow([a, b]);
        if (bold) row.font = { bold: true };
        row.commit();
      };
      line('导入文件', s.fileName, true);
      line('文件 SM3 摘要', s.fileDigest);
      line('导入批次', s.runId);
      line('开始时间', s.startedAt.toISOString());
      line('结束时间', s.finishedAt.toISOString());
      line('数据行数', s.totalRows);
      line('', '');
      line('处理结果', '行数', true);
      for (const status of statusOrder) line(`${statusNames[status]}（${status}）`, s.counts[status]);
      if (s.fromEarlierRun) line('其中：前次中断的导入已处理', s.fromEarlierRun);
      line('', '');
      line('工作表', '说明', true);
      for (const sheet of s.sheets) line(sheet.name, `${sheet.rows} 行；${sheet.note}`);
      if (s.ignoredColumns.length) line('未识别的列（已忽略）', s.ignoredColumns.join('、'));
      sum.commit();
      await workbook.commit();
      await rename(tmpPath, finalPath);
      return finalPath;
    },
    async discard() {
      await workbook.commit().catch(() => {});
      await rm(tmpPath, { force: true });
    },
  };
}
