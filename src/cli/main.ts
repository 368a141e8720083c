import { Command, Option } from 'commander';
import { loadConfig, settings } from '../config.ts';
import { roleIds } from '../domain/roles.ts';
import { AppError } from '../errors.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { verifyAuditTrail } from '../services/audit/verify-audit.ts';
import { currentCatalog, getCatalogVersion } from '../services/catalog/catalog-versions.ts';
import { createClient } from '../services/clients/create-client.ts';
import type { Actor, ServiceContext } from '../services/context.ts';
import { openIntakeContext } from '../services/intake/context.ts';
import { initProvinceKeys } from '../services/keys/init-keys.ts';
import { expireCertificates } from '../services/lifecycle/expire-certificates.ts';
import { createStaff } from '../services/staff/create-staff.ts';
import { describeStartupError } from '../startup-error.ts';
import { registerCalendarCommands } from './commands/calendar.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerOutageCommands } from './commands/outages.ts';
import { registerVerifyCommand } from './commands/verify.ts';

/*
 * `npx roadcert <command>`: the operator's tool. Every command loads the same configuration as
 * the server, brings the schema up to date, acts, and exits 0 on success, 1 when the action
 * failed, 2 for bad usage or configuration.
 */

class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

async function withRuntime<T>(
  fn: (rt: Runtime, ctx: ServiceContext, actor: Actor) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const rt = await openRuntime(config);
  const actor: Actor = {
    type: 'cli',
    id: `cli:${process.env.USER ?? 'operator'}`,
    regionCode: config.province.code,
  };
  const ctx: ServiceContext = {
    db: rt.store.db,
    config,
    clock: rt.clock,
    vault: rt.vault,
    requestId: `cli-${Date.now().toString(36)}`,
  };
  try {
    return await fn(rt, ctx, actor);
  } finally {
    await rt.close();
  }
}

const print = (s: string) => process.stdout.write(`${s}\n`);

export function buildCli(): Command {
  const program = new Command('roadcert')
    .description('道路运输电子证照运行服务平台 命令行工具')
    .showHelpAfterError('（使用 --help 查看用法）')
    .exitOverride();

  program
    .command('migrate')
    .description('将数据库结构更新到最新版本')
    .action(() =>
      withRuntime(async (rt) => {
        print(`数据库结构已是最新（${rt.store.engine}）。`);
      }),
    );

  const keys = program.command('keys').description('省级根密钥与电子证照专用章签章密钥');
  keys
    .command('init')
    .description('生成省级根密钥、签章密钥及 SM2 证书（已存在则不变；--force 替换签章密钥）')
    .option('--force', '替换现有签章密钥与签章证书（旧证书保留用于核验既往证照）', false)
    .option('--json', '以 JSON 输出', false)
    .action((opts: { force: boolean; json: boolean }) =>
      withRuntime(async (rt, ctx, actor) => {
        const result = await initProvinceKeys(ctx, actor, { force: opts.force });
        await rt.keyring.reload();
        if (opts.json) {
          print(JSON.stringify(result));
          return;
        }
        print(
          result.created ? '已生成签章密钥与证书：' : '签章密钥已存在（未作改动；如需替换请加 --force）：',
        );
        print(`  根证书    ${result.rootKeyId}  ${result.rootSubject}`);
        print(`  签章证书  ${result.sealKeyId}  ${result.sealSubject}`);
        print(`  有效期    ${result.sealNotBefore} 至 ${result.sealNotAfter}`);
        print('  公开材料：GET /api/v1/trust');
      }),
    );

  const admin = program.command('admin').description('工作人员账户');
  admin
    .command('create')
    .description('创建工作人员账户（生产环境用于创建首个省级管理员）')
    .requiredOption('--username <username>', '用户名')
    .requiredOption('--password <password>', '密码（至少 10 位，含三类字符）')
    .addOption(new Option('--role <role>', '角色').choices([...roleIds]).makeOptionMandatory())
    .requiredOption('--region <code>', '行政区划代码（GB/T 2260），如 210000')
    .option('--name <displayName>', '姓名')
    .option('--department <department>', '所属部门')
    .option('--phone <phone>', '手机号')
    .option('--json', '以 JSON 输出', false)
    .action(
      (opts: {
        username: string;
        password: string;
        role: string;
        region: string;
        name?: string;
        department?: string;
        phone?: string;
        json: boolean;
      }) =>
        withRuntime(async (_rt, ctx, actor) => {
          const staff = await createStaff(ctx, actor, {
            username: opts.username,
            password: opts.password,
            role: opts.role,
            regionCode: opts.region,
            ...(opts.name ? { displayName: opts.name } : {}),
            ...(opts.department ? { department: opts.department } : {}),
            ...(opts.phone ? { phone: opts.phone } : {}),
          });
          if (opts.json) print(JSON.stringify(staff));
          else
            print(`已创建账户 ${staff.username}（${staff.roleName}，${staff.regionName}），id ${staff.id}`);
        }),
    );

  const client = program.command('client').description('接入系统（运政系统、用证方）');
  client
    .command('create')
    .description('注册接入系统，输出 clientId 与密钥（密钥只显示这一次，平台仅保存其摘要）')
    .requiredOption('--name <name>', '接入系统名称')
    .requiredOption('--region <code>', '辖区行政区划代码：只能推送该区划及下级区划的数据')
    .addOption(new Option('--kind <kind>', '类型').choices(['source', 'relying']).default('source'))
    .option('--json', '以 JSON 输出 {"clientId","secret"}', false)
    .action((opts: { name: string; region: string; kind: 'source' | 'relying'; json: boolean }) =>
      withRuntime(async (_rt, ctx, actor) => {
        const created = await createClient(ctx, actor, {
          name: opts.name,
          regionCode: opts.region,
          kind: opts.kind,
        });
        if (opts.json) print(JSON.stringify(created));
        else {
          print(
            `已注册接入系统「${created.name}」（${created.kind === 'source' ? '数据推送' : '用证方'}，辖区 ${created.regionCode}）`,
          );
          print(`  clientId: ${created.clientId}`);
          print(`  secret:   ${created.secret}`);
          print('  请妥善保存密钥：平台不保存明文，无法再次查看。');
        }
      }),
    );

  const lifecycle = program.command('lifecycle').description('证照生命周期任务');
  lifecycle
    .command('expire')
    .description('将有效期已届满的证照置为过期（平台每日自动执行）')
    .option('--today <date>', '以该日期（YYYY-MM-DD，北京时间）为今天')
    .option('--json', '以 JSON 输出', false)
    .action((opts: { today?: string; json: boolean }) =>
      withRuntime(async (rt, ctx) => {
        if (opts.today !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.today)) {
          throw new AppError('VALIDATION_FAILED', '--today 应为 YYYY-MM-DD 日期');
        }
        const result = await expireCertificates(
          await openIntakeContext(ctx, rt.keyring),
          opts.today ? { today: opts.today } : {},
        );
        if (opts.json) print(JSON.stringify(result));
        else print(`已将 ${result.expired} 件有效期届满（早于 ${result.today}）的证照置为过期。`);
      }),
    );

  const audit = program.command('audit').description('审计日志');
  audit
    .command('verify')
    .description('校验审计日志 SM3 哈希链：发现篡改或删除时以退出码 1 结束')
    .option('--json', '以 JSON 输出', false)
    .action((opts: { json: boolean }) =>
      withRuntime(async (rt) => {
        // A provincial trail holds millions of records: show progress on stderr, about once a second.
        let shown = Date.now();
        const result = await verifyAuditTrail(rt.store.db, {
          onProgress: (checked, chain) => {
            if (opts.json || Date.now() - shown < 1000) return;
            shown = Date.now();
            process.stderr.write(`  已校验 ${checked} 条（当前链 ${chain}）…\n`);
          },
        });
        if (opts.json) print(JSON.stringify(result));
        else {
          print(`审计日志：${result.chains.length} 条链，${result.records} 条记录。`);
          for (const p of result.problems) print(`  ✗ ${p.message}`);
          print(
            result.ok ? '校验通过：未发现篡改或删除。' : `校验失败：发现 ${result.problems.length} 处问题。`,
          );
        }
        if (!result.ok) throw new ExitCode(1);
      }),
    );

  registerImportCommand(program, withRuntime);

  const catalog = program.command('catalog').description('证照目录');
  catalog
    .command('show')
    .description('显示证照目录（默认当前版本）')
    .option('--version <n>', '目录版本号')
    .action((opts: { version?: string }) =>
      withRuntime(async (rt) => {
        if (opts.version !== undefined && !/^\d+$/.test(opts.version)) {
          throw new ExitCode(2);
        }
        const v = opts.version
          ? await getCatalogVersion(rt.store.db, Number(opts.version))
          : await currentCatalog(rt.store.db);
        print(JSON.stringify(v, null, 2));
      }),
    );

  program
    .command('config')
    .description('检查配置并列出可用的环境变量')
    .action(() => {
      const config = loadConfig();
      print(
        `配置有效：模式 ${config.mode}，数据库 ${config.database.kind}，省份 ${config.province.name}（${config.province.code}）`,
      );
      print(`密钥加密密钥来源：${config.kekSource === 'env' ? 'ROADCERT_KEK' : '演示密钥文件（仅 demo）'}`);
      print('\n环境变量：');
      for (const s of Object.values(settings)) print(`  ${s.env.padEnd(32)} ${s.doc}`);
    });

  registerOutageCommands(program, withRuntime);
  registerCalendarCommands(program, withRuntime);
  registerVerifyCommand(program, withRuntime, (code) => new ExitCode(code));

  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
      return ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version' ? 0 : 2;
    }
    process.stderr.write(`错误：${describeStartupError(e)}\n`);
    const appCode = (e as { code?: string }).code;
    return appCode === 'CONFIG_INVALID' ||
      appCode === 'VALIDATION_FAILED' ||
      appCode === 'PASSWORD_TOO_WEAK' ||
      appCode === 'ROLE_UNKNOWN' ||
      appCode === 'REGION_UNKNOWN'
      ? 2
      : 1;
  }
}
