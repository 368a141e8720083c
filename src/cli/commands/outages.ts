import type { Command } from 'commander';
import { refreshOutages } from '../../services/outages/refresh-outages.ts';
import { stdout, type WithRuntime } from './command-kit.ts';

/**
 * `roadcert outages …` (R-5.3). `refresh` is what the daily job does: mark outages whose re-push
 * deadline has passed as overdue and store the current re-push counts. Cron can run it too.
 */
export function registerOutageCommands(
  program: Command,
  withRuntime: WithRuntime,
  print: (line: string) => void = stdout,
): void {
  const outages = program.command('outages').description('推送故障与重新推送期限');
  outages
    .command('refresh')
    .description('将已过重新推送截止时间的故障标记为逾期，并更新重新推送条数')
    .option('--json', '以 JSON 输出', false)
    .action((opts: { json: boolean }) =>
      withRuntime(async (_rt, ctx) => {
        const result = await refreshOutages(ctx, ctx.clock.now());
        if (opts.json) {
          print(JSON.stringify(result));
          return;
        }
        if (result.markedOverdue.length === 0) print('没有新逾期的故障。');
        else print(`新标记逾期 ${result.markedOverdue.length} 项：`);
        for (const o of result.markedOverdue) {
          print(
            `  ${o.regionName}${o.department ? ` ${o.department}` : ''}  截止 ${o.deadlineDate}  已重新推送 ${o.repushedRecords} 条  （${o.id}）`,
          );
        }
        print(`更新重新推送条数 ${result.recounted} 项。`);
      }),
    );
}
