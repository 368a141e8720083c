import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { DEFAULT_CATALOG } from '../../src/domain/catalog/index.ts';
import { ENVELOPE_FIELDS } from '../../src/domain/rules/envelope.ts';
import { sampleRecord } from '../../src/domain/rules/samples.ts';
import { isAppError } from '../../src/errors.ts';
import { buildColumnTable } from '../../src/services/import/columns.ts';
import { importFile } from '../../src/services/import/import-file.ts';
import { readTable } from '../../src/services/import/read-table.ts';
import { openIntakeContext } from '../../src/services/intake/context.ts';
import type { IntakeContext } from '../../src/services/intake/types.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, engines, postgresAvailable, type TestDatabase } from '../helpers/engines.ts';

const VEHICLE = '11100000000019713D013'; // 道路运输证
const PRACTITIONER = '11100000000019713D071'; // 从业资格证
const BUSINESS = '11100000000019713D008'; // 经营许可证
const kindDef = (code: string) => DEFAULT_CATALOG.kinds.find((k) => k.code === code)!;

/* ───────────── fixture builders: files are made here, in a temp dir, never committed ───────────── */

type Flat = Record<string, unknown>;

/** A sample record flattened to dotted column keys, as an operator's spreadsheet holds it. */
function flatRecord(kind: string, sourceRecordId: string, index: number, overrides: Flat = {}): Flat {
  const r = sampleRecord(kind, {}, { index }) as unknown as Record<string, unknown>;
  const flat: Flat = { sourceRecordId, sourceVersion: 1 };
  for (const [k, v] of Object.entries(r)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) flat[`${k}.${k2}`] = v2;
    } else flat[k] = v;
  }
  for (const [k, v] of Object.entries(overrides)) flat[k] = v;
  return flat;
}

/** Chinese header of a key, from the catalog (the same labels the importer reads). */
function chineseHeader(key: string, kind: string): string {
  if (key.startsWith('face.')) return kindDef(kind).fields.find((f) => f.key === key.slice(5))!.label;
  const intake: Record<string, string> = {
    sourceRecordId: '源记录标识',
    sourceVersion: '源记录版本',
    event: '业务事件',
    kind: '证照类型',
  };
  return intake[key] ?? ENVELOPE_FIELDS.find((f) => f.key === key)!.label;
}

interface SheetSpec {
  name: string;
  headers: string[];
  rows: unknown[][];
}

async function writeXlsx(file: string, sheets: SheetSpec[]): Promise<void> {
  const wb = new ExcelJS.Workbook();
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name);
    ws.addRow(s.headers);
    for (const row of s.rows) ws.addRow(row);
    // Date cells display as dates in Excel (and are read back as such).
    ws.eachRow((row) =>
      row.eachCell((cell) => {
        if (cell.value instanceof Date) cell.numFmt = 'yyyy-mm-dd';
      }),
    );
  }
  await wb.xlsx.writeFile(file);
}

const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : Array.isArray(v) ? v.join('；') : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
const csvText = (headers: string[], rows: unknown[][]) =>
  [headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n');

/** GB18030 bytes of a string (Excel's CSV on a Chinese system), from the decoder's own table. */
function gb18030(text: string): Buffer {
  const decoder = new TextDecoder('gb18030');
  const table = new Map<string, number[]>();
  for (let a = 0x81; a <= 0xfe; a++)
    for (let b = 0x40; b <= 0xfe; b++) {
      if (b === 0x7f) continue;
      const ch = decoder.decode(new Uint8Array([a, b]));
      if (ch.length === 1 && !table.has(ch)) table.set(ch, [a, b]);
    }
  const bytes: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) bytes.push(code);
    else {
      const enc = table.get(ch);
      if (!enc) throw new Error(`no GB18030 two-byte code for ${ch}`);
      bytes.push(...enc);
    }
  }
  return Buffer.from(bytes);
}

async function readReport(file: string): Promise<{ rows: Record<string, unknown>[]; summary: unknown[][] }> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.getWorksheet('处理结果')!;
  const headers = (ws.getRow(1).values as unknown[]).slice(1) as string[];
  const rows: Record<string, unknown>[] = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const values = (row.values as unknown[]).slice(1);
    rows.push(Object.fromEntries(headers.map((h, i) => [h, values[i] ?? ''])));
  });
  const summary: unknown[][] = [];
  wb.getWorksheet('汇总')!.eachRow((row) => {
    summary.push((row.values as unknown[]).slice(1));
  });
  return { rows, summary };
}

const summaryCount = (summary: unknown[][], status: string) =>
  summary.find((r) => typeof r[0] === 'string' && r[0].endsWith(`（${status}）`))?.[1];

const utc = (iso: string) => new Date(`${iso}T00:00:00Z`);

/* ───────────── the reader ───────────── */

describe('roadcert import: reading .xlsx as a stream', () => {
  test("Chinese text split across the reader's 16 KiB chunks comes back intact (exceljs #2084)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'roadcert-import-read-'));
    try {
      // Unique, all-Chinese cells: ~250 KiB of three-byte characters, so chunk boundaries fall
      // inside characters, in the shared-string table and (second file) in inline strings.
      const words = '辽宁省沈阳市和平区大连铁岭鞍山营口丹东锦州阜新朝阳葫芦岛本溪抚顺辽阳盘锦运输有限公司';
      const text = (i: number) =>
        Array.from({ length: 30 }, (_, j) => words[(i * 7 + j * 13) % words.length]).join('') + String(i);
      const texts = Array.from({ length: 2500 }, (_, i) => text(i));
      const shared = path.join(dir, 'shared.xlsx');
      await writeXlsx(shared, [{ name: '道路运输证', headers: ['地址'], rows: texts.map((t) => [t]) }]);
      const inline = path.join(dir, 'inline.xlsx');
      const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: inline, useSharedStrings: false });
      const ws = writer.addWorksheet('道路运输证');
      ws.addRow(['地址']).commit();
      for (const t of texts) ws.addRow([t]).commit();
      ws.commit();
      await writer.commit();

      for (const file of [shared, inline]) {
        const read: unknown[] = [];
        for await (const item of readTable(
          file,
          'xlsx',
          DEFAULT_CATALOG,
          buildColumnTable(DEFAULT_CATALOG),
        )) {
          if (item.type === 'row') read.push(item.cells[0]);
        }
        assert.equal(read.length, texts.length);
        const broken = read.filter((v, i) => v !== texts[i]);
        assert.deepEqual(broken.slice(0, 3), [], `${path.basename(file)}: ${broken.length} cells changed`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every sheet, in tab order, on every read (exceljs #3064: entries lost by the forward zip walk)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'roadcert-import-read-'));
    try {
      const file = path.join(dir, 'sheets.xlsx');
      const names = ['道路运输证', '从业资格证', '经营许可证'];
      await writeXlsx(
        file,
        names.map((name, s) => ({
          name,
          headers: ['sourceRecordId', '颁发日期'],
          rows: Array.from({ length: 5 }, (_, i) => [`S${s}-${i}`, utc('2025-03-01')]),
        })),
      );
      const table = buildColumnTable(DEFAULT_CATALOG);
      for (let k = 0; k < 60; k++) {
        const seen: string[] = [];
        let dates = 0;
        for await (const item of readTable(file, 'xlsx', DEFAULT_CATALOG, table)) {
          if (item.type === 'sheet') seen.push(item.name);
          else if (item.cells[1] instanceof Date) dates += 1;
        }
        assert.deepEqual(seen, names, `read ${k}`);
        assert.equal(dates, 15, `read ${k}: date cells are dates`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/* ───────────── the service, on both engines ───────────── */

for (const engine of await engines()) {
  describe(`roadcert import: service [${engine}]`, () => {
    let t: TestApp;
    let ctx: IntakeContext;
    let dir: string;
    const count = async (table: string) =>
      Number(
        (await t.db.store.query<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n,
      );
    const run = (file: string, extra: Partial<Parameters<typeof importFile>[1]> = {}) =>
      importFile(ctx, { filePath: file, regionCode: '210000', actor: t.cliActor, chunkSize: 7, ...extra });

    before(async () => {
      t = await createTestApp(engine);
      ctx = await openIntakeContext(t.ctx, t.keyring);
      dir = mkdtempSync(path.join(tmpdir(), 'roadcert-import-'));
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const workbookFile = async () => {
      const file = path.join(dir, '存量证照.xlsx');
      // 道路运输证 by its Chinese name, Chinese headers, Excel numbers for codes and dates.
      const vKeys = Object.keys(flatRecord(VEHICLE, 'x', 0));
      const vehicles = Array.from({ length: 6 }, (_, i) => {
        const f = flatRecord(VEHICLE, `V-${i}`, i);
        return vKeys.map((k) => {
          const v = f[k];
          if (k === 'holder.idType') return Number(v); // 001 typed as a number → 1
          if (k === 'face.plateColor' || k === 'regionCode' || k === 'certificateNumber') return Number(v);
          if (k === 'holder.phone') return Number(v);
          if (k === 'issueDate') return utc(v as string); // a real Excel date cell
          if (k === 'face.firstIssueDate') return i % 2 ? 43634 : '2019/6/18'; // serial 43634 = 2019-06-18
          if (k === 'face.lengthMm') return String(v); // integer as text
          return v;
        });
      });
      // One non-standard row (bad plate) and one whose ID Excel rounded (not convertible).
      const bad = flatRecord(VEHICLE, 'V-BAD', 50, { 'face.plateNumber': '辽A-123' });
      vehicles.push(vKeys.map((k) => bad[k]));
      const rounded = flatRecord(VEHICLE, 'V-ROUND', 51);
      vehicles.push(vKeys.map((k) => (k === 'holder.id' ? 9.1210102123456e17 : rounded[k])));

      // 从业资格证 sheet named by its code, dotted keys, list cell joined with 、, dates as text.
      const pKeys = Object.keys(flatRecord(PRACTITIONER, 'x', 0));
      const practitioners = Array.from({ length: 4 }, (_, i) => {
        const f = flatRecord(PRACTITIONER, `P-${i}`, 100 + i, {
          'face.qualificationCategories': ['经营性道路货物运输驾驶员', '道路危险货物运输驾驶员'],
        });
        return pKeys.map((k) => {
          const v = f[k];
          if (Array.isArray(v)) return v.join('、');
          if (k === 'face.gender') return Number(v);
          if (k === 'issueDate') return '2025年3月1日';
          return v;
        });
      });
      await writeXlsx(file, [
        { name: '填写说明', headers: ['本文件为存量证照导入模板'], rows: [['每个工作表一种证照类型']] },
        { name: '道路运输证', headers: vKeys.map((k) => chineseHeader(k, VEHICLE)), rows: vehicles },
        { name: PRACTITIONER, headers: pKeys, rows: practitioners },
      ]);
      return file;
    };

    test('xlsx with several kinds, Chinese headers and Excel numbers/dates: issued, with a per-row report', async () => {
      const file = await workbookFile();
      const before = await count('certificates');
      const summary = await run(file);
      assert.equal(summary.totalRows, 12);
      assert.equal(summary.counts.issued, 10, JSON.stringify(summary));
      assert.equal(summary.counts.nonstandard, 1);
      assert.equal(summary.counts.rejected, 1);
      assert.equal((await count('certificates')) - before, 10);

      assert.equal(summary.reportPath, path.join(dir, '存量证照-result.xlsx'));
      const { rows, summary: sheet } = await readReport(summary.reportPath);
      assert.equal(rows.length, 12);
      const byId = new Map(rows.map((r) => [r.源记录标识, r]));
      assert.equal(byId.get('V-0')!.状态, 'issued');
      assert.equal(byId.get('V-0')!.工作表, '道路运输证');
      assert.equal(byId.get('V-0')!.行号, 2);
      assert.match(String(byId.get('V-0')!.电子证照标识), /^1\.2\.156\.3005\.2\.11100000000019713D013\./);
      assert.equal(byId.get('P-3')!.工作表, PRACTITIONER);
      assert.equal(byId.get('V-BAD')!.状态, 'nonstandard');
      assert.match(String(byId.get('V-BAD')!.错误信息), /车辆号牌/);
      assert.match(String(byId.get('V-BAD')!.错误代码), /PLATE_FORMAT/);
      assert.equal(byId.get('V-ROUND')!.状态, 'rejected');
      assert.match(String(byId.get('V-ROUND')!.错误信息), /持证主体代码.*15 位/);
      assert.equal(summaryCount(sheet, 'issued'), 10);
      assert.equal(summaryCount(sheet, 'nonstandard'), 1);
      assert.equal(summaryCount(sheet, 'rejected'), 1);
      assert.ok(sheet.some((r) => r[0] === '填写说明' && String(r[1]).includes('跳过')));
      assert.equal(existsSync(`${summary.reportPath}.partial`), false);
    });

    test('the same file again: every row is a duplicate with its first outcome, no new certificate', async () => {
      const file = path.join(dir, '存量证照.xlsx');
      const before = await count('certificates');
      const summary = await run(file);
      assert.equal(summary.resumed, false);
      assert.equal(summary.counts.duplicate, 11);
      assert.equal(summary.counts.rejected, 1, 'the unconvertible row is refused again, not stored');
      assert.equal(await count('certificates'), before);
      const { rows } = await readReport(summary.reportPath);
      const v0 = rows.find((r) => r.源记录标识 === 'V-0')!;
      assert.equal(v0.状态, 'duplicate');
      assert.equal(v0.原处理结果, '已签发电子证照');
      assert.match(String(v0.电子证照标识), /^1\.2\.156\.3005\.2\./);
      // Who loaded which file is in the audit trail, once per finished run.
      const audited = await t.db.store.query<{ details: { fileName: string; rows: number } }>(
        sql`select details from audit_log where action = 'import.run' and target_id = ${summary.runId}`,
      );
      assert.equal(audited.length, 1);
      assert.equal(audited[0]!.details.fileName, '存量证照.xlsx');
      assert.equal(audited[0]!.details.rows, 12);
    });

    test('csv (GB18030, as Excel writes it) with a kind column of Chinese names and an event column', async () => {
      const keys = ['kind', 'event', ...Object.keys(flatRecord(BUSINESS, 'x', 0))];
      const rows = [
        ...Array.from({ length: 3 }, (_, i) => ({
          ...flatRecord(BUSINESS, `B-${i}`, 200 + i),
          kind: '道路运输经营许可证',
          event: 'issue',
        })),
        { ...flatRecord(BUSINESS, 'B-PAPER', 210), kind: '经营许可证', event: '存量纸质证照归集' },
        { ...flatRecord(VEHICLE, 'C-V', 211), kind: VEHICLE, event: 'issue' },
      ];
      // One file, two kinds: each row fills the columns of its own kind and leaves the rest empty.
      const allKeys = [...new Set([...keys, ...rows.flatMap((r) => Object.keys(r))])];
      const headers = allKeys.map((k) => (k === 'kind' ? '证照类型' : k));
      const file = path.join(dir, 'batch.csv');
      writeFileSync(
        file,
        gb18030(
          csvText(
            headers,
            rows.map((r: Flat) => allKeys.map((k) => r[k])),
          ),
        ),
      );
      const summary = await run(file);
      assert.equal(summary.totalRows, 5);
      assert.equal(summary.counts.issued, 4, JSON.stringify(summary));
      assert.equal(summary.counts.recorded, 1);
      const { rows: report } = await readReport(summary.reportPath);
      assert.deepEqual(
        report.map((r) => [r.行号, r.源记录标识, r.状态]),
        [
          [2, 'B-0', 'issued'],
          [3, 'B-1', 'issued'],
          [4, 'B-2', 'issued'],
          [5, 'B-PAPER', 'recorded'],
          [6, 'C-V', 'issued'],
        ],
      );

      // Imported for 大连 (--region 210200): rows of 沈阳 are refused, nothing is written.
      const dalian = await importFile(ctx, { filePath: file, regionCode: '210200', actor: t.cliActor });
      assert.equal(dalian.counts.rejected, 5);
      const { rows: refused } = await readReport(dalian.reportPath);
      assert.match(String(refused[0]!.错误代码), /REGION_OUTSIDE_CLIENT/);
    });

    test('an interrupted run resumes: rows done before are read back, each certificate exists once', async () => {
      const keys = Object.keys(flatRecord(VEHICLE, 'x', 0));
      // 38 licences; the last two rows repeat R-3 (done before the crash) and R-20 (done after).
      const rows = Array.from({ length: 40 }, (_, i) => {
        const n = i === 38 ? 3 : i === 39 ? 20 : i;
        const f = flatRecord(VEHICLE, `R-${n}`, 300 + n);
        return keys.map((k) => f[k]);
      });
      const file = path.join(dir, 'resume.xlsx');
      await writeXlsx(file, [{ name: '道路运输证', headers: keys, rows }]);
      const before = await count('certificates');
      // A platform failure part-way through a chunk (some of its records already committed).
      await assert.rejects(
        run(file, {
          concurrency: 1,
          onEvent: (e) => {
            if (e.type === 'progress' && e.done === 17) throw new Error('simulated crash');
          },
        }),
        /simulated crash/,
      );
      const midway = (await count('certificates')) - before;
      // New issues are written a chunk (7 rows here) at a time, each chunk all or nothing: the
      // crash at row 17 leaves the chunks already committed, never part of one.
      assert.ok(midway >= 17 && midway <= 21 && midway % 7 === 0, `committed before the crash: ${midway}`);
      const [state] = await t.db.store.query<{ status: string; processed_rows: number }>(
        sql`select status, processed_rows from import_runs where file_name = 'resume.xlsx'`,
      );
      assert.equal(state!.status, 'failed');
      assert.equal(state!.processed_rows, 14, 'progress is saved per finished chunk of 7');

      const summary = await run(file);
      assert.equal(summary.resumed, true);
      assert.deepEqual(
        [summary.counts.issued, summary.counts.duplicate, summary.fromEarlierRun],
        [38, 2, midway],
        JSON.stringify(summary),
      );
      assert.equal((await count('certificates')) - before, 38);
      const distinct = await t.db.store.query<{ n: number }>(
        sql`select count(distinct source_record_id)::int as n from certificates where source_record_id like 'R-%'`,
      );
      assert.equal(distinct[0]!.n, 38);
      const { rows: report } = await readReport(summary.reportPath);
      assert.equal(report.length, 40);
      assert.deepEqual(
        report.map((r) => r.状态),
        [...Array.from({ length: 38 }, () => 'issued'), 'duplicate', 'duplicate'],
      );
      assert.ok(report.every((r) => String(r.电子证照标识).startsWith('1.2.156')));
      assert.equal(report.filter((r) => r.备注 === '前次中断的导入已处理').length, midway);

      // Interrupted again, then --restart: the unfinished run is abandoned, a new one reports
      // every row as duplicate and nothing is sealed again.
      await assert.rejects(
        run(file, {
          concurrency: 1,
          onEvent: (e) => {
            if (e.type === 'progress' && e.done === 5) throw new Error('simulated crash');
          },
        }),
        /simulated crash/,
      );
      const again = await run(file, { restart: true });
      assert.equal(again.resumed, false);
      assert.equal(again.counts.duplicate, 40);
      assert.equal(again.fromEarlierRun, 0);
      assert.equal((await count('certificates')) - before, 38);
      const runs = await t.db.store.query<{ status: string }>(
        sql`select status from import_runs where file_name = 'resume.xlsx' order by status`,
      );
      assert.deepEqual(
        runs.map((r) => r.status),
        ['abandoned', 'completed', 'completed'],
      );
    });

    test('unusable input is refused before anything is written, naming the problem', async () => {
      const runsBefore = await count('import_runs');
      const refuse = async (file: string, pattern: RegExp) => {
        await assert.rejects(run(file), (e) => {
          assert.ok(isAppError(e), String(e));
          assert.equal(e.code, 'VALIDATION_FAILED');
          assert.match(e.message, pattern);
          return true;
        });
      };
      await refuse(path.join(dir, 'nope.xlsx'), /文件不存在/);
      writeFileSync(path.join(dir, 'data.txt'), 'x');
      await refuse(path.join(dir, 'data.txt'), /只支持 \.xlsx 和 \.csv/);
      writeFileSync(path.join(dir, 'old.xls'), 'x');
      await refuse(path.join(dir, 'old.xls'), /另存为 \.xlsx/);
      writeFileSync(path.join(dir, 'broken.xlsx'), 'not a zip');
      await refuse(path.join(dir, 'broken.xlsx'), /无法读取文件/);

      // Required columns missing: named by label and key.
      const keys = Object.keys(flatRecord(VEHICLE, 'x', 0)).filter(
        (k) => k !== 'holder.id' && k !== 'face.plateNumber',
      );
      const f = flatRecord(VEHICLE, 'M-1', 400);
      const file = path.join(dir, 'missing.xlsx');
      await writeXlsx(file, [{ name: '道路运输证', headers: keys, rows: [keys.map((k) => f[k])] }]);
      await refuse(
        file,
        /工作表“道路运输证”缺少必需的列：持证主体代码（holder\.id）、车辆号牌（face\.plateNumber）/,
      );

      // No kind anywhere.
      const csv = path.join(dir, 'nokind.csv');
      const ck = Object.keys(f).filter((k) => k !== 'kind');
      writeFileSync(csv, csvText(ck, [ck.map((k) => f[k])]));
      await refuse(csv, /无法确定证照类型/);
      assert.equal(await count('import_runs'), runsBefore);
    });
  });
}

/* ───────────── the real CLI process, on PostgreSQL ───────────── */

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'bin', 'roadcert.mjs');

describe('roadcert import: the CLI on PostgreSQL', async () => {
  const skip = !(await postgresAvailable());
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const runCli = (args: string[]) => {
    const res = spawnSync(process.execPath, [cli, ...args], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 240_000,
    });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  const count = async (q: string) => Number((await db.store.query<{ n: number }>(sql.raw(q)))[0]!.n);

  before(async () => {
    if (skip) return;
    db = await createTestDatabase('postgres');
    dir = mkdtempSync(path.join(tmpdir(), 'roadcert-import-cli-'));
    env = {
      ...process.env,
      LOG_LEVEL: 'silent',
      ROADCERT_MODE: 'production',
      DATABASE_URL: db.url!,
      ROADCERT_KEK: '8f1e2d3c4b5a69788796a5b4c3d2e1f0',
    };
    const keys = runCli(['keys', 'init', '--json']);
    assert.equal(keys.code, 0, keys.stderr);
  });
  after(async () => {
    if (skip) return;
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('bad input exits 2 with a clear message', { skip }, () => {
    const missing = runCli(['import', path.join(dir, 'none.csv')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /文件不存在/);
    writeFileSync(path.join(dir, 'x.json'), '{}');
    const ext = runCli(['import', path.join(dir, 'x.json')]);
    assert.equal(ext.code, 2);
    assert.match(ext.stderr, /只支持 \.xlsx 和 \.csv/);
    const header = path.join(dir, 'header.csv');
    writeFileSync(header, '证照类型,源记录标识\n道路运输证,A-1\n');
    const cols = runCli(['import', header]);
    assert.equal(cols.code, 2);
    assert.match(cols.stderr, /缺少必需的列：.*行政区划代码（regionCode）/);
  });

  test('a platform that cannot seal (no seal key) exits 1 and says what to do', { skip }, async () => {
    const bare = await createTestDatabase('postgres');
    try {
      const file = path.join(dir, 'nokeys.csv');
      const f = flatRecord(VEHICLE, 'NK-1', 500);
      writeFileSync(file, csvText(Object.keys(f), [Object.values(f)]));
      const res = spawnSync(process.execPath, [cli, 'import', file], {
        cwd: root,
        env: { ...env, DATABASE_URL: bare.url! },
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(res.status, 1, res.stderr);
      assert.match(res.stderr, /签章密钥尚未初始化.*keys init/);
    } finally {
      await bare.drop();
    }
  });

  test('killed with SIGKILL mid-way and run again: every certificate exactly once, complete report', {
    skip,
  }, async () => {
    const N = 2000;
    // The kind column holds the Chinese name, in place of the code flatRecord put there.
    const keys = Object.keys(flatRecord(VEHICLE, 'x', 0));
    const rows = Array.from({ length: N }, (_, i) => {
      const f: Flat = { ...flatRecord(VEHICLE, `K-${i}`, 1000 + i), kind: '道路运输证' };
      return keys.map((k) => f[k]);
    });
    const file = path.join(dir, 'bulk.csv');
    writeFileSync(file, csvText(keys, rows));

    const child: ChildProcess = spawn(process.execPath, [cli, 'import', file], { cwd: root, env });
    let stderr = '';
    const killed = await new Promise<boolean>((resolve) => {
      child.stderr!.on('data', (d) => {
        stderr += d;
        const m = [...stderr.matchAll(/导入进度：(\d+)\/(\d+)/g)].at(-1);
        if (m && Number(m[1]) >= 300 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve(true);
        }
      });
      child.on('exit', () => resolve(false));
    });
    assert.ok(killed, `the import ended before it could be killed:\n${stderr}`);
    await new Promise((r) => child.once('exit', r));
    const partial = await count(`select count(*)::int as n from certificates`);
    assert.ok(partial > 0 && partial < N, `certificates after the kill: ${partial}`);

    const again = runCli(['import', file, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /继续此前中断的导入/);
    const summary = JSON.parse(again.stdout);
    assert.equal(summary.resumed, true);
    assert.equal(summary.counts.issued, N);
    assert.equal(summary.counts.duplicate, 0);
    assert.ok(summary.fromEarlierRun >= partial);
    assert.equal(await count(`select count(*)::int as n from certificates`), N);
    assert.equal(await count(`select count(distinct source_record_id)::int as n from certificates`), N);
    const { rows: report } = await readReport(summary.reportPath);
    assert.equal(report.length, N);
    assert.deepEqual(
      report.map((r) => r.行号),
      Array.from({ length: N }, (_, i) => i + 2),
    );
    assert.ok(report.every((r) => r.状态 === 'issued'));

    // A third run of the finished file: all duplicate, printed as a Chinese summary.
    const third = runCli(['import', file]);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, new RegExp(`^\\s+${N}  重复（此前已接收，未重复处理）（duplicate）$`, 'm'));
    assert.equal(await count(`select count(*)::int as n from certificates`), N);
  });
});
