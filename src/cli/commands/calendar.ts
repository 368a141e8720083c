import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AppError } from '../../errors.ts';
import { calendarOverview, loadHolidayYear } from '../../services/calendar/holiday-years.ts';
import { stdout, type WithRuntime } from './command-kit.ts';

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AppError(
      'VALIDATION_FAILED',
      `无法读取文件 ${file}：${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new AppError('VALIDATION_FAILED', `文件 ${file} 不是有效的 JSON：${(e as Error).message}`);
  }
}

/**
 * `roadcert calendar …`: the working-day calendar of R-5.3's re-push deadlines. Each autumn the
 * State Council publishes next year's holidays; `load` takes them from a JSON file
 * ({year, source, periods: [{name, from, to, makeUpDays}]}) — see docs/outages.md.
 */
export function registerCalendarCommands(
  program: Command,
  withRuntime: WithRuntime,
  print: (line: string) => void = stdout,
): void {
  const calendar = program.command('calendar').description('工作日历（年度节假日与调休安排）');
  calendar
    .command('list')
    .description('列出已收录的年度节假日安排，并提示下一年度是否已录入')
    .option('--json', '以 JSON 输出', false)
    .action((opts: { json: boolean }) =>
      withRuntime(async (_rt, ctx) => {
        const overview = await calendarOverview(ctx);
        if (opts.json) {
          print(JSON.stringify(overview));
          return;
        }
        for (const y of overview.years) {
          const origin = y.builtIn ? '内置' : `${y.loadedBy} 录入于 ${y.loadedAt}`;
          print(`${y.year}年  ${y.periods.length} 个假期  ${origin}`);
          print(`  依据：${y.source}`);
          for (const p of y.periods) {
            const makeUp = p.makeUpDays.length > 0 ? `，调休上班 ${p.makeUpDays.join('、')}` : '';
            print(`  ${p.name}：${p.from} 至 ${p.to}${makeUp}`);
          }
        }
        if (overview.warning) print(`\n注意：${overview.warning}`);
      }),
    );
  calendar
    .command('load')
    .description('从 JSON 文件录入某年度节假日安排（国务院办公厅通知）')
    .argument('<file>', 'JSON 文件：{year, source, periods: [{name, from, to, makeUpDays}]}')
    .option('--replace', '更正已录入的年度（内置年度不可替换）', false)
    .option('--json', '以 JSON 输出', false)
    .action((file: string, opts: { replace: boolean; json: boolean }) =>
      withRuntime(async (_rt, ctx, actor) => {
        const input = await readJsonFile(file);
        let loaded: Awaited<ReturnType<typeof loadHolidayYear>>;
        try {
          loaded = await loadHolidayYear(ctx, actor, input, { replace: opts.replace });
        } catch (e) {
          const problems = (e as AppError).details?.problems;
          if (e instanceof AppError && Array.isArray(problems)) {
            for (const p of problems as { field: string; message: string }[]) {
              process.stderr.write(`  ${p.field || '（整体）'}：${p.message}\n`);
            }
          }
          throw e;
        }
        if (opts.json) {
          print(JSON.stringify(loaded));
          return;
        }
        print(`已录入${loaded.year}年节假日安排（${loaded.periods.length} 个假期），依据：${loaded.source}`);
      }),
    );
}
