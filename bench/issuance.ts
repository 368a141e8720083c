/**
 * Bulk issuance through the intake service into PostgreSQL (issue #3): N valid records of mixed
 * kinds (default 100,000; BENCH_ISSUANCE_N to change), each its own transaction with validation,
 * SM2 sealing on libuv's thread pool, audit chain, outbox. Ceiling: the same run's
 * `openssl speed sm2` sign rate × available cores. Prints records/s, the ratio and peak RSS.
 */
import { randomBytes } from 'node:crypto';
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

export async function run(): Promise<Record<string, number>> {
  const n = Number(process.env.BENCH_ISSUANCE_N ?? 100_000);
  const batch = 1000;
  const concurrency = Number(process.env.BENCH_ISSUANCE_CONCURRENCY ?? 16);
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
    const start = performance.now();
    let issued = 0;
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
      const results = await submitRecords(intake, source, records, { concurrency, bulk: true });
      issued += results.filter((r) => r.status === 'issued').length;
      if ((offset / batch) % 10 === 9) {
        const s = (performance.now() - start) / 1000;
        process.stderr.write(`  ${offset + batch} records, ${(issued / s).toFixed(0)}/s\n`);
      }
    }
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    if (issued !== n) throw new Error(`only ${issued} of ${n} records were issued`);
    const rate = issued / seconds;
    const result = {
      records: n,
      seconds: Math.round(seconds),
      recordsPerSecond: Math.round(rate),
      opensslSignPerSecond: Math.round(speed.sign),
      cores,
      ceiling: Math.round(ceiling),
      ratio: Number((rate / ceiling).toFixed(3)),
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    };
    console.log(
      `bulk issuance into PostgreSQL: ${n} records of ${KINDS.length} kinds, batches of ${batch}, concurrency ${concurrency}`,
    );
    console.log(`  ${result.recordsPerSecond} records/s in ${result.seconds} s`);
    console.log(
      `  ceiling = openssl sign ${result.opensslSignPerSecond}/s × ${cores} cores = ${result.ceiling}/s`,
    );
    console.log(`  ratio ${result.ratio} (target ≥ 0.6)   peak RSS ${result.peakRssMb} MB (target < 500)`);
    return result;
  } finally {
    await store.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
