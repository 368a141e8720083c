import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../../errors.ts';
import { type ImportEvent, importFile } from '../../services/import/import-file.ts';
import { statusNames, statusOrder } from '../../services/import/result-report.ts';
import { openIntakeContext } from '../../services/intake/context.ts';
import type { WithRuntime } from './command-kit.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

function positiveInt(value: string, name: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new AppError('VALIDATION_FAILED', `${name} 应为正整数：${value}`);
  }
  return Number(value);
}

function seconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 60) return `${Math.round(s)} 秒`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} 分 ${Math.round(s % 60)} 秒` : `${Math.floor(m / 60)} 小时 ${m % 60} 分`;
}

/**
 * Progress on stderr, so stdout carries only the summary: a bar on a terminal, otherwise one
 * plain line a second (a log file or a CI console cannot redraw a bar).
 */
function progressReporter(stream: NodeJS.WriteStream) {
  const started = performance.now();
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  let first = 0;
  const rate = (done: number) => {
    const elapsed = (performance.now() - started) / 1000;
    return elapsed > 0 ? (done - first) / elapsed : 0;
  };
  return {
    started,
    handle(e: ImportEvent) {
      if (e.type === 'start') {
        first = 0;
        err(`导入批次 ${e.runId}：共 ${e.totalRows} 行数据。`);
        for (const s of e.sheets) err(`  ${s.name}：${s.rows} 行；${s.note}`);
        if (e.ignoredColumns.length) err(`  未识别的列（已忽略）：${e.ignoredColumns.join('、')}`);
        if (e.resumed) {
          err(
            `继续此前中断的导入：已保存进度 ${e.processedBefore} 行；已处理过的行从数据库读回结果，不再重复提交。`,
          );
        }
        if (stream.isTTY) {
          bar = new cliProgress.SingleBar(
            {
              stream,
              format:
                '导入 |{bar}| {percentage}% | {value}/{total} 行 | {speed} 行/秒 | 预计剩余 {eta_formatted}',
              hideCursor: true,
              etaBuffer: 200,
              fps: 5,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.totalRows, 0, { speed: '0' });
        }
        return;
      }
      const speed = rate(e.done);
      if (bar) {
        bar.update(e.done, { speed: speed.toFixed(0) });
        return;
      }
      const now = performance.now();
      if (now - lastLine < 1000 && e.done < e.total) return;
      lastLine = now;
      const pct = e.total ? Math.floor((e.done / e.total) * 100) : 100;
      err(
        `导入进度：${e.done}/${e.total} 行（${pct}%），${speed.toFixed(0)} 行/秒，预计剩余 ${seconds(speed > 0 ? (e.total - e.done) / speed : Number.POSITIVE_INFINITY)}`,
      );
    },
    stop() {
      bar?.stop();
    },
  };
}

export function registerImportCommand(program: Command, withRuntime: WithRuntime): void {
  program
    .command('import')
    .description('批量导入证照数据（应归尽归）：.xlsx 或 .csv，逐行出具处理结果（<文件名>-result.xlsx）')
    .argument('<file>', '导入文件（.xlsx 每个工作表一种证照类型或含“证照类型”列；.csv 须含“证照类型”列）')
    .option('--region <code>', '导入数据所属辖区的行政区划代码（默认全省）')
    .option('--restart', '忽略此前未完成的导入进度，从头重新导入（已入库的行将答复“重复”）', false)
    .option('--chunk-size <n>', '每批提交的行数', '200')
    .option('--concurrency <n>', '并发处理的记录数', '4')
    .option('--json', '以 JSON 输出汇总', false)
    .action(
      (
        file: string,
        opts: { region?: string; restart: boolean; chunkSize: string; concurrency: string; json: boolean },
      ) => {
        const chunkSize = positiveInt(opts.chunkSize, '--chunk-size');
        const concurrency = positiveInt(opts.concurrency, '--concurrency');
        return withRuntime(async (rt, ctx, actor) => {
          const intake = await openIntakeContext(ctx, rt.keyring);
          const progress = progressReporter(process.stderr);
          let summary: Awaited<ReturnType<typeof importFile>>;
          try {
            summary = await importFile(intake, {
              filePath: path.resolve(file),
              regionCode: opts.region ?? ctx.config.province.code,
              actor,
              restart: opts.restart,
              chunkSize,
              concurrency,
              onEvent: (e) => progress.handle(e),
            });
          } finally {
            progress.stop();
          }
          const elapsed = (performance.now() - progress.started) / 1000;
          if (opts.json) {
            out(JSON.stringify({ ...summary, elapsedSeconds: Number(elapsed.toFixed(1)) }));
            return;
          }
          out(
            `导入完成：${summary.fileName}，${summary.totalRows} 行，用时 ${seconds(elapsed)}（${(summary.totalRows / Math.max(elapsed, 0.001)).toFixed(0)} 行/秒）`,
          );
          for (const status of statusOrder) {
            out(`  ${String(summary.counts[status]).padStart(8)}  ${statusNames[status]}（${status}）`);
          }
          if (summary.fromEarlierRun)
            out(`  其中 ${summary.fromEarlierRun} 行由前次中断的导入处理，本次读回结果`);
          out(`逐行结果：${summary.reportPath}`);
        });
      },
    );
}
