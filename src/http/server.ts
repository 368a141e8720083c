import { type Config, loadConfig } from '../config.ts';
import { openRuntime } from '../runtime.ts';
import { bootstrapDemo } from '../services/demo/bootstrap-demo.ts';
import { startBackgroundJobs } from '../services/jobs/background-jobs.ts';
import { describeStartupError } from '../startup-error.ts';
import { buildServer } from './app.ts';

/*
 * The thin entry: configuration, logger, the runtime, listen, graceful close. Everything else
 * is the app plugin (app.ts), which the tests build the same way.
 */

function loggerOptions(config: Config) {
  return {
    level: config.logLevel,
    // Personal data never reaches the log: no bodies are logged, and credentials are redacted.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-signature"]',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: req.url.split('?')[0],
        id: req.id,
      }),
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await openRuntime(config);
  const out = (line = '') => process.stdout.write(`${line}\n`);

  if (config.mode === 'demo') {
    await bootstrapDemo(runtime, { print: out });
  } else if (!runtime.keyring.trust()) {
    await runtime.close();
    throw new Error(
      '生产模式下签章密钥尚未初始化：请先运行 npx roadcert keys init（使用同一 ROADCERT_KEK 与 DATABASE_URL）',
    );
  }

  const app = await buildServer(runtime, loggerOptions(config));
  const stopJobs = startBackgroundJobs(runtime, app.log);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await stopJobs();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = config.publicUrl.replace(`:${config.port}`, `:${port}`);
  out();
  out(
    `roadcert 已启动（${config.mode === 'demo' ? '演示模式' : '生产模式'}，数据库：${runtime.store.engine}）`,
  );
  out(`  访问地址: ${base}/  （接口文档 ${base}/docs）`);
  out();
}

main().catch((e: unknown) => {
  process.stderr.write(`roadcert 无法启动：${describeStartupError(e)}\n`);
  process.exit(1);
});
