/**
 * Online verification (查验, issue #5 "Measured"): the real server (`src/http/server.ts`, production
 * mode) on a fresh PostgreSQL database, loaded over loopback with autocannon.
 *
 * 1. `/healthz` at full speed: the same server's trivial ceiling in this run.
 * 2. `POST /api/v1/verify` at full speed with distinct fresh 亮证 tokens (a token verifies once;
 *    a reused one would take the cheaper TOKEN_REUSED path, so every request carries a token
 *    never verified before, made by the wallet service just before the run) → ratio to (1).
 * 3. The same at a fixed 500 requests/s for 10 s → p50 / p99 latency: steady and open loop (one
 *    request every 2 ms, latency from when it was due), and autocannon's `overallRate` (which
 *    sends each connection's quota in a burst at the start of every second).
 * 4. The wallet page's JavaScript, gzip (web/dist, built by `npm run build:web`).
 *
 * Each load run also reports CPU per request from /proc: the server process's, and the
 * PostgreSQL backends' serving the bench database (found in pg_stat_activity) — both sides of a
 * verification, much steadier than wall-clock rates on a shared machine.
 *
 * Targets: ratio ≥ 0.30, p99 < 50 ms at 500/s, wallet JS < 300 KB gzip.
 * BENCH_VERIFY_SECONDS (default 10) sets each run's length.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { KINDS } from '../src/domain/catalog/kinds.ts';
import { sampleRecord } from '../src/domain/rules/samples.ts';
import { ensureCatalog } from '../src/services/catalog/catalog-versions.ts';
import { type Actor, type ServiceContext, systemClock } from '../src/services/context.ts';
import { openIntakeContext } from '../src/services/intake/context.ts';
import { submitRecords } from '../src/services/intake/submit-records.ts';
import { initProvinceKeys } from '../src/services/keys/init-keys.ts';
import { Keyring } from '../src/services/keys/keyring.ts';
import { PiiVault } from '../src/services/pii.ts';
import { createStaff } from '../src/services/staff/create-staff.ts';
import { createShowToken, showTokenPolicy } from '../src/services/verification/create-show-token.ts';
import { encodeShowToken } from '../src/services/verification/show-token.ts';
import { migrate, openStore } from '../src/store/db.ts';
import { certificates, holders } from '../src/store/schema.ts';

const ADMIN_URL = process.env.ROADCERT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const repoRoot = path.resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_VERIFY_SECONDS ?? 10);
const FIXED_RATE = 500;
const CONNECTIONS = 32;
const PASSWORD = 'Bench-Passw0rd!';

type Holding = {
  identifier: string;
  holderId: string;
  idType: string;
  kindCode: string;
  certificateNumber: string;
};

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  // BENCH_VERIFY_PROFILE_DIR=/tmp/prof writes a CPU profile of the server under load there.
  const profile = process.env.BENCH_VERIFY_PROFILE_DIR;
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'src/http/server.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const urlLine = /访问地址: (http:\S+?)\/ /;
  const deadline = Date.now() + 90_000;
  while (!urlLine.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, base: urlLine.exec(out)![1]! };
}

/** `count` fresh 亮证 tokens from the wallet service (usage event and audit record each), 16 at a time. */
async function tokensFromWallet(
  ctx: ServiceContext,
  keyring: Keyring,
  holdings: Holding[],
  count: number,
): Promise<string[]> {
  const tokens: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const h = holdings[next++ % holdings.length]!;
      const shown = await createShowToken(
        ctx,
        keyring,
        { holderId: h.holderId, idType: h.idType },
        h.identifier,
      );
      tokens.push(shown.token);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return tokens;
}

/**
 * `count` fresh tokens signed by the same encoder and seal key the wallet service uses, without its
 * per-token database writes: a measured run needs thousands, and a token lives 60 s, so they must
 * be made faster than the wallet service makes them on this machine (its rate is printed).
 */
async function tokensFromEncoder(keyring: Keyring, holdings: Holding[], count: number): Promise<string[]> {
  const trust = keyring.requireTrust();
  const signer = keyring.sealSigner();
  const tokens: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const h = holdings[next++ % holdings.length]!;
      const { text } = await encodeShowToken(
        {
          identifier: h.identifier,
          statusCode: '10',
          issuedAt: new Date(),
          lifetimeSeconds: showTokenPolicy.lifetimeSeconds,
          kindCode: h.kindCode,
          holderName: '基准*',
          certificateNumber: h.certificateNumber,
          sealCertificate: trust.sealCertificate,
        },
        signer,
      );
      tokens.push(text);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return tokens;
}

/** CPU seconds (user + system, all threads) of a process so far, from /proc. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

let serverPid = 0;
/** The PostgreSQL backends serving the bench database (from pg_stat_activity). */
let databasePids: () => Promise<number[]> = async () => [];

/**
 * CPU seconds of the bench database's backends so far, per pid. A backend that ends during a run
 * takes its time with it, so the pool must stay open through a run (it does under load).
 */
async function databaseCpu(): Promise<Map<number, number>> {
  return new Map((await databasePids()).map((pid) => [pid, processCpuSeconds(pid)]));
}

function databaseCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) {
    if (Number.isFinite(cpu)) total += cpu - (before.get(pid) ?? 0);
  }
  return total;
}

interface Load {
  /** Server CPU per request: unlike wall-clock rates, it hardly depends on what else runs on the machine. */
  serverCpuMs: number;
  /** PostgreSQL CPU per request (the bench database's backends). */
  databaseCpuMs: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  sent: number;
  valid: number;
  non2xx: number;
  errors: number;
}

/** One autocannon run; `body` gives each request its own body (a fresh token). */
async function load(
  url: string,
  opts: {
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: () => string;
    rate?: number;
    amount?: number;
  },
): Promise<Load> {
  let valid = 0;
  const cpuBefore = processCpuSeconds(serverPid);
  const databaseBefore = await databaseCpu();
  const started = performance.now();
  const result = await autocannon({
    url,
    connections: opts.rate ? 64 : CONNECTIONS,
    duration: SECONDS,
    ...(opts.amount ? { amount: opts.amount } : {}),
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    requests: [
      {
        method: opts.method ?? 'GET',
        ...(opts.headers ? { headers: opts.headers } : {}),
        ...(opts.body
          ? {
              setupRequest: (req: autocannon.Request) => ({ ...req, body: opts.body!() }),
              onResponse: (_status: number, body: string) => {
                if (body.includes('"result":"valid"')) valid++;
              },
            }
          : {}),
      },
    ],
  });
  const cpuAfter = processCpuSeconds(serverPid);
  const databaseSeconds = databaseCpuSince(databaseBefore, await databaseCpu());
  return {
    serverCpuMs: ((cpuAfter - cpuBefore) * 1000) / Math.max(result.requests.total, 1),
    databaseCpuMs: (databaseSeconds * 1000) / Math.max(result.requests.total, 1),
    // Wall clock of the run: autocannon's own duration is in whole seconds, which for a run that
    // ends when its token pool is spent (`amount`) rounds the rate by up to a sixth.
    requestsPerSecond: result.requests.total / ((performance.now() - started) / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    sent: result.requests.total,
    valid,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

interface SteadyLoad {
  sent: number;
  valid: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Requests at a constant rate, open loop (as wrk2 does): request i is due at start + i/rate and is
 * sent then, whether or not earlier ones have been answered, and its latency counts from when it
 * was due, so a stall of the server shows in the tail instead of slowing the sender
 * (coordinated omission). autocannon's `overallRate` instead lets each connection send its quota
 * for the second back to back at the start of every second — a burst of up to `connections`
 * concurrent requests each second, whose queueing dominates its percentiles.
 *
 * The sender runs in a worker thread with a heap of its own: in this process, a major GC of the
 * benchmark's large heap (token pools, autocannon's histograms) would stall sending and receiving
 * and count as the server's latency.
 */
const STEADY_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, rate, bodies, headers } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const total = bodies.length;
const latencies = [];
let valid = 0, failed = 0, sent = 0, settled = 0;
const start = performance.now();
const done = () => {
  if (++settled < total) return;
  agent.destroy();
  parentPort.postMessage({ latencies, valid, failed, sent });
};
const send = (i, due) => {
  const body = bodies[i];
  const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
    headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { text += d; });
    res.on('end', () => {
      latencies.push(performance.now() - due);
      if (res.statusCode === 200 && text.includes('"result":"valid"')) valid++; else failed++;
      done();
    });
  });
  req.on('error', () => { failed++; done(); });
  req.end(body);
};
const tick = () => {
  const now = performance.now();
  while (sent < total && start + (sent * 1000) / rate <= now) { send(sent, start + (sent * 1000) / rate); sent++; }
  if (sent < total) setTimeout(tick, 1);
};
tick();
`;

async function steadyLoad(
  url: string,
  opts: { rate: number; seconds: number; headers: Record<string, string>; body: () => string },
): Promise<SteadyLoad> {
  const bodies = Array.from({ length: Math.round(opts.rate * opts.seconds) }, () => opts.body());
  const { Worker } = await import('node:worker_threads');
  const result = await new Promise<{ latencies: number[]; valid: number; failed: number; sent: number }>(
    (resolve, reject) => {
      const worker = new Worker(STEADY_WORKER, {
        eval: true,
        workerData: { url, rate: opts.rate, bodies, headers: opts.headers },
        execArgv: [],
      });
      worker.once('message', (m) => {
        resolve(m);
        void worker.terminate();
      });
      worker.once('error', reject);
    },
  );
  const latencies = result.latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    sent: result.sent,
    valid: result.valid,
    failed: result.failed,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? 0,
  };
}

/** The wallet entry's JS files (and the chunks they import) in web/dist, gzip-compressed. */
function walletJsGzip(): { files: string[]; rawBytes: number; gzipBytes: number } | null {
  const dist = path.join(repoRoot, 'web', 'dist');
  const html = [path.join(dist, 'wallet', 'index.html'), path.join(dist, 'wallet.html')].find(existsSync);
  if (!html) return null;
  const seen = new Set<string>();
  const queue = [...readFileSync(html, 'utf8').matchAll(/(?:src|href)="([^"]+\.js)"/g)].map((m) => m[1]!);
  while (queue.length) {
    const ref = queue.shift()!;
    const file = path.join(dist, ref.replace(/^\//, ''));
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    // Static imports of shared chunks load with the page too; dynamic ones are lazy and not counted.
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|[;}\s])import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+\.js)["']/g)) {
      queue.push(path.posix.join(path.posix.dirname(ref), m[1]!));
    }
  }
  const files = [...seen];
  const raw = files.map((f) => readFileSync(f));
  return {
    files: files.map((f) => path.relative(dist, f)),
    rawBytes: raw.reduce((a, b) => a + b.length, 0),
    gzipBytes: raw.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0),
  };
}

export async function run(): Promise<Record<string, number | string | null>> {
  const name = `roadcert_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const kek = randomBytes(16).toString('hex');
  const store = await openStore({ kind: 'postgres', url: url.toString(), poolSize: 18 });
  let server: ChildProcess | undefined;
  try {
    await migrate(store);
    await ensureCatalog(store.db);
    const config = loadConfig({ ROADCERT_KEK: kek, ROADCERT_MODE: 'demo', ROADCERT_DATA_DIR: tmpdir() });
    const ctx: ServiceContext = {
      db: store.db,
      config,
      clock: systemClock,
      vault: new PiiVault(config.kek),
      requestId: 'bench',
    };
    const actor: Actor = { type: 'cli', id: 'bench', regionCode: config.province.code };
    await initProvinceKeys(ctx, actor, { force: false });
    const keyring = await Keyring.load(store.db, config);

    // 800 certificates of every kind over eight cities' districts (audit chains are per region).
    const regions = ['210102', '210103', '210202', '210203', '210302', '210402', '210502', '210602'];
    const records = Array.from({ length: 800 }, (_, i) => ({
      ...sampleRecord(
        KINDS[i % KINDS.length]!.code,
        {},
        { index: i, regionCode: regions[i % regions.length]! },
      ),
      sourceRecordId: `BENCH-V-${i}`,
      sourceVersion: 1,
      event: 'issue',
    }));
    const intake = await openIntakeContext(ctx, keyring);
    await submitRecords(intake, { clientId: 'bench', regionCode: config.province.code, actor }, records, {
      concurrency: 8,
      bulk: true,
    });
    const holdings: Holding[] = await store.db
      .select({
        identifier: certificates.identifier,
        holderId: certificates.holderId,
        idType: holders.idType,
        kindCode: certificates.kindCode,
        certificateNumber: certificates.certificateNumber,
      })
      .from(certificates)
      .innerJoin(holders, eq(holders.id, certificates.holderId));
    if (holdings.length !== records.length) throw new Error(`only ${holdings.length} certificates issued`);
    await createStaff(ctx, actor, {
      username: 'bench-officer',
      password: PASSWORD,
      role: 'enforcement-officer',
      regionCode: '210100',
      department: '沈阳市交通运输综合行政执法队',
    });

    const started = await startServer({
      ROADCERT_MODE: 'production',
      DATABASE_URL: url.toString(),
      ROADCERT_KEK: kek,
      ROADCERT_DATA_DIR: tmpdir(),
      PORT: '0',
      HOST: '127.0.0.1',
      ROADCERT_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
    });
    server = started.child;
    serverPid = server.pid!;
    databasePids = async () =>
      (
        await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [name])
      ).rows.map((r) => r.pid);
    const base = started.base.replace('localhost', '127.0.0.1');
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench-officer', password: PASSWORD }),
    });
    if (!login.ok) throw new Error(`officer login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    const verifyHeaders = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const verifyUrl = `${base}/api/v1/verify`;
    const tokenBody = (tokens: string[]) => {
      let i = 0;
      return () => JSON.stringify({ code: tokens[i++ % tokens.length], place: '基准测试检查点' });
    };

    // Warm-up (JIT, connection pools) with tokens from the wallet service itself; its rate is printed.
    const loadBefore = loadavg()[0]!;
    await load(`${base}/healthz`, {});
    const walletStart = performance.now();
    const warmTokens = await tokensFromWallet(ctx, keyring, holdings, 500);
    const walletRate = warmTokens.length / ((performance.now() - walletStart) / 1000);
    const warm = await load(verifyUrl, {
      method: 'POST',
      headers: verifyHeaders,
      body: tokenBody(warmTokens),
      amount: warmTokens.length,
    });

    const health = await load(`${base}/healthz`, {});
    // Enough fresh tokens for the whole run: the warm-up rate undershoots (cold JIT), so at least
    // 3,000 a second; signing them is cheap.
    const poolSize = Math.min(Math.ceil(Math.max(warm.requestsPerSecond, 2000) * SECONDS), 60_000);
    const maxTokens = await tokensFromEncoder(keyring, holdings, poolSize);
    const max = await load(verifyUrl, {
      method: 'POST',
      headers: verifyHeaders,
      body: tokenBody(maxTokens),
      amount: maxTokens.length,
    });
    const fixedTokens = await tokensFromEncoder(keyring, holdings, FIXED_RATE * SECONDS + 200);
    const fixed = await load(verifyUrl, {
      method: 'POST',
      headers: verifyHeaders,
      body: tokenBody(fixedTokens),
      rate: FIXED_RATE,
    });
    const steadyTokens = await tokensFromEncoder(keyring, holdings, FIXED_RATE * SECONDS + 200);
    const steady = await steadyLoad(verifyUrl, {
      rate: FIXED_RATE,
      seconds: SECONDS,
      headers: verifyHeaders,
      body: tokenBody(steadyTokens),
    });

    const ratio = max.requestsPerSecond / health.requestsPerSecond;
    const loadAfter = loadavg()[0]!;
    console.log(`online verification, real server on PostgreSQL (${holdings.length} certificates), loopback`);
    // Wall-clock rates here depend on what else runs on the machine; the CPU per request much less.
    console.log(
      `  machine load (1 min average): ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
    );
    console.log(`  wallet service makes ${walletRate.toFixed(0)} 亮证 tokens/s here (warm-up tokens)`);
    console.log(
      `  /healthz:              ${health.requestsPerSecond.toFixed(0)} req/s (p99 ${health.p99} ms)`,
    );
    console.log(
      `  POST /api/v1/verify:   ${max.requestsPerSecond.toFixed(0)} req/s, ${max.valid} of ${max.sent} valid, ` +
        `non-2xx ${max.non2xx}, errors ${max.errors} (p50 ${max.p50} ms, p99 ${max.p99} ms)`,
    );
    console.log(`  ratio ${ratio.toFixed(3)} (target ≥ 0.30)`);
    const verifyCpuMs = max.serverCpuMs + max.databaseCpuMs;
    const healthCpuMs = health.serverCpuMs + health.databaseCpuMs;
    console.log(
      `  CPU per request: /healthz ${health.serverCpuMs.toFixed(2)} ms; verify ${max.serverCpuMs.toFixed(2)} ms node + ` +
        `${max.databaseCpuMs.toFixed(2)} ms PostgreSQL = ${verifyCpuMs.toFixed(2)} ms ` +
        `→ CPU-bound ratio ${(healthCpuMs / verifyCpuMs).toFixed(3)}`,
    );
    console.log(
      `  at ${FIXED_RATE} req/s for ${SECONDS} s, steady (one request every ${(1000 / FIXED_RATE).toFixed(1)} ms, open loop): ` +
        `${steady.sent} sent, ${steady.valid} valid, ${steady.failed} failed; p50 ${steady.p50.toFixed(1)} ms, ` +
        `p99 ${steady.p99.toFixed(1)} ms, max ${steady.max.toFixed(1)} ms (target p99 < 50 ms)`,
    );
    console.log(
      `  at ${FIXED_RATE} req/s for ${SECONDS} s, autocannon overallRate (per-second bursts over 64 connections): ` +
        `${fixed.sent} sent, ${fixed.valid} valid, non-2xx ${fixed.non2xx}, errors ${fixed.errors}; ` +
        `p50 ${fixed.p50} ms, p99 ${fixed.p99} ms`,
    );
    const js = walletJsGzip();
    if (js) {
      console.log(
        `  wallet page JS: ${js.files.length} files, ${(js.rawBytes / 1024).toFixed(1)} KB raw, ` +
          `${(js.gzipBytes / 1024).toFixed(1)} KB gzip (target < 300 KB)`,
      );
    } else {
      console.log(
        '  wallet page JS: web/dist has no wallet page — run `npm run build:web` first; not measured',
      );
    }
    return {
      loadBefore: Number(loadBefore.toFixed(1)),
      loadAfter: Number(loadAfter.toFixed(1)),
      healthzPerSecond: Math.round(health.requestsPerSecond),
      verifyPerSecond: Math.round(max.requestsPerSecond),
      ratio: Number(ratio.toFixed(3)),
      healthzCpuMs: Number(health.serverCpuMs.toFixed(3)),
      verifyCpuMs: Number(max.serverCpuMs.toFixed(3)),
      verifyDatabaseCpuMs: Number(max.databaseCpuMs.toFixed(3)),
      verifyValid: max.valid,
      verifySent: max.sent,
      fixedRate: FIXED_RATE,
      fixedP50Ms: fixed.p50,
      fixedP99Ms: fixed.p99,
      fixedNon2xx: fixed.non2xx,
      steadyP50Ms: Number(steady.p50.toFixed(1)),
      steadyP99Ms: Number(steady.p99.toFixed(1)),
      steadyValid: steady.valid,
      steadySent: steady.sent,
      walletJsGzipKb: js ? Number((js.gzipBytes / 1024).toFixed(1)) : null,
    };
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    await store.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
