/**
 * Bulk issuance through the intake service into PostgreSQL (issue #3): N valid records of mixed
 * kinds (default 100,000; BENCH_ISSUANCE_N to change) in batches of 1,000 through the bulk path
 * (validation, SM2 seals on the native thread pool, audit chain, outbox), BENCH_ISSUANCE_BATCHES_IN_FLIGHT
 * batches at once (default 2). Ceiling: the same run's `openssl speed sm2` sign rate × available
 * cores. Prints records/s, the ratio, peak RSS, the CPU time per record of the Node main
 * thread, the other Node threads and this database's PostgreSQL backends, and the rate and ratio
 * those CPU times allow on cores of its own (see below).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { KINDS } from '../src/domain/catalog/kinds.ts';
import { sampleRecord } from '../src/domain/rules/samples.ts';
import { ensureCatalog } from '../src/services/catalog/catalog-versions.ts';
import { type Actor, systemClock } from '../src/services/context.ts';
import { openIntakeContext } from '../src/services/intake/context.ts';
import { submitRecords } from '../src/services/intake/submit-records.ts';
import { initProvinceKeys } from '../src/services/keys/init-keys.ts';
import { Keyring } from '../src/services/keys/keyring.ts';
import { PiiVault } from '../src/services/pii.ts';
import { migrate, openStore } from '../src/store/db.ts';
import { opensslSpeed } from './sm2.ts';

const ADMIN_URL = process.env.ROADCERT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process or thread has used, from /proc; 0 when unreadable. */
function cpuSeconds(statPath: string): number {
  try {
    // The command name may hold spaces; the fields after it are fixed (utime 14, stime 15).
    const stat = readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** This process's CPU split: the main (event loop) thread and all other threads (libuv pool, GC). */
function nodeCpu(): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const s = cpuSeconds(`/proc/self/task/${tid}/stat`);
    if (Number(tid) === process.pid) main += s;
    else other += s;
  }
  return { main, other };
}

export async function run(): Promise<Record<string, number>> {
  const n = Number(process.env.BENCH_ISSUANCE_N ?? 100_000);
  const batch = 1000;
  const concurrency = Number(process.env.BENCH_ISSUANCE_CONCURRENCY ?? 16);
  const batchesInFlight = Math.max(1, Number(process.env.BENCH_ISSUANCE_BATCHES_IN_FLIGHT ?? 2));
  const chunkSize = process.env.BENCH_ISSUANCE_CHUNK ? Number(process.env.BENCH_ISSUANCE_CHUNK) : undefined;
  const cores = availableParallelism();

  const speed = opensslSpeed();
  if (!speed) throw new Error('openssl speed sm2 failed: the ceiling cannot be measured');
  const ceiling = speed.sign * cores;

  const name = `roadcert_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const store = await openStore({ kind: 'postgres', url: url.toString(), poolSize: concurrency + 2 });
  try {
    await migrate(store);
    await ensureCatalog(store.db);
    const config = loadConfig({
      ROADCERT_KEK: randomBytes(16).toString('hex'),
      ROADCERT_MODE: 'demo',
      ROADCERT_DATA_DIR: '/tmp/roadcert-bench',
    });
    const vault = new PiiVault(config.kek);
    const ctx = { db: store.db, config, clock: systemClock, vault, requestId: 'bench' };
    const actor: Actor = { type: 'cli', id: 'bench', regionCode: config.province.code };
    await initProvinceKeys(ctx, actor, { force: false });
    const keyring = await Keyring.load(store.db, config);
    const intake = await openIntakeContext(ctx, keyring);
    const source = { clientId: 'bench', regionCode: config.province.code, actor };
    const regions = ['210102', '210103', '210202', '210203', '210302', '210402', '210502', '210602'];

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 200);
    // PostgreSQL's share: the CPU of this database's backends (same machine), sampled while they
    // live (an idle pooled connection may close before the end).
    const backendCpu = new Map<number, number>();
    const sampleBackends = async () => {
      const res = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
        name,
      ]);
      for (const { pid } of res.rows) {
        const s = cpuSeconds(`/proc/${pid}/stat`);
        if (s > 0 || !backendCpu.has(pid)) backendCpu.set(pid, s);
      }
    };
    await sampleBackends();
    const backendsAtStart = [...backendCpu.values()].reduce((a, b) => a + b, 0);
    const backendSampler = setInterval(() => void sampleBackends().catch(() => {}), 1000);
    const cpuAtStart = nodeCpu();
    const start = performance.now();
    let issued = 0;
    let submitted = 0;
    // Batches overlap (as pushes from several source systems, or a file read ahead, would): while
    // one batch's last chunk commits, the next one's first chunk is already signing.
    const inFlight = new Set<Promise<void>>();
    const all: Promise<void>[] = [];
    for (let offset = 0; offset < n; offset += batch) {
      // Records are built per batch, as they would arrive over HTTP, not all held at once.
      const records = Array.from({ length: Math.min(batch, n - offset) }, (_, j) => {
        const i = offset + j;
        return {
          ...sampleRecord(
            KINDS[i % KINDS.length]!.code,
            {},
            { index: i, regionCode: regions[i % regions.length]! },
          ),
          sourceRecordId: `BENCH-${i}`,
          sourceVersion: 1,
          event: 'issue',
        };
      });
      const pending = submitRecords(intake, source, records, { concurrency, bulk: true, chunkSize }).then(
        (results) => {
          issued += results.filter((r) => r.status === 'issued').length;
          submitted += records.length;
          if ((submitted / batch) % 10 === 0) {
            const s = (performance.now() - start) / 1000;
            process.stderr.write(`  ${submitted} records, ${(issued / s).toFixed(0)}/s\n`);
          }
        },
      );
      all.push(pending);
      inFlight.add(pending);
      // Settled either way, it leaves the window; a failure surfaces from Promise.all below.
      const leave = () => inFlight.delete(pending);
      pending.then(leave, leave);
      if (inFlight.size >= batchesInFlight) await Promise.race(inFlight);
    }
    await Promise.all(all);
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    clearInterval(backendSampler);
    await sampleBackends();
    const cpuAtEnd = nodeCpu();
    const pgCpu = [...backendCpu.values()].reduce((a, b) => a + b, 0) - backendsAtStart;
    // CPU milliseconds per record: comparable across runs on a busy machine, unlike wall time.
    const perRecord = (cpu: number) => Number(((cpu * 1000) / n).toFixed(3));
    if (issued !== n) throw new Error(`only ${issued} of ${n} records were issued`);
    const rate = issued / seconds;
    const cpuMs = {
      main: ((cpuAtEnd.main - cpuAtStart.main) * 1000) / n,
      threads: ((cpuAtEnd.other - cpuAtStart.other) * 1000) / n,
      postgres: (pgCpu * 1000) / n,
    };
    // `openssl speed` divides by its CPU time, so the ceiling holds when other processes load the
    // machine while records/s falls. The CPU-bound rate puts this run on the same footing: the
    // records/s that `cores` cores given to this run alone would allow at the CPU time each record
    // took, and never more than the main thread alone allows. An upper bound (it assumes perfect
    // overlap); the wall-clock ratio is what was achieved.
    const cpuBoundRate =
      Math.min(cores / (cpuMs.main + cpuMs.threads + cpuMs.postgres), 1 / cpuMs.main) * 1000;
    const result = {
      records: n,
      seconds: Math.round(seconds),
      recordsPerSecond: Math.round(rate),
      opensslSignPerSecond: Math.round(speed.sign),
      cores,
      ceiling: Math.round(ceiling),
      ratio: Number((rate / ceiling).toFixed(3)),
      peakRssMb: Math.round(peakRss / 1024 / 1024),
      cpuMsPerRecordMain: perRecord(cpuAtEnd.main - cpuAtStart.main),
      cpuMsPerRecordThreads: perRecord(cpuAtEnd.other - cpuAtStart.other),
      cpuMsPerRecordPostgres: perRecord(pgCpu),
      cpuBoundRecordsPerSecond: Math.round(cpuBoundRate),
      cpuBoundRatio: Number((cpuBoundRate / ceiling).toFixed(3)),
    };
    console.log(
      `bulk issuance into PostgreSQL: ${n} records of ${KINDS.length} kinds, batches of ${batch} (${batchesInFlight} in flight), concurrency ${concurrency}`,
    );
    console.log(`  ${result.recordsPerSecond} records/s in ${result.seconds} s`);
    console.log(
      `  ceiling = openssl sign ${result.opensslSignPerSecond}/s × ${cores} cores = ${result.ceiling}/s`,
    );
    console.log(`  ratio ${result.ratio} (target ≥ 0.6)   peak RSS ${result.peakRssMb} MB (target < 500)`);
    console.log(
      `  CPU ms per record: node main thread ${result.cpuMsPerRecordMain}, other node threads (signing, GC) ` +
        `${result.cpuMsPerRecordThreads}, PostgreSQL backends ${result.cpuMsPerRecordPostgres}`,
    );
    console.log(
      `  CPU-bound: ${result.cpuBoundRecordsPerSecond} records/s on ${cores} cores of its own, ratio ${result.cpuBoundRatio} ` +
        '(upper bound, comparable with openssl speed on a loaded machine)',
    );
    return result;
  } finally {
    await store.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
