/**
 * SM2 speed: our SoftwareSigner (native addon with its own curve code, standard ID) against
 * `openssl speed sm2` on the same machine in the same run, and against OpenSSL's SM2 called
 * in-process through the same addon (`sm2CrossCheck.signOpenssl` / `verifyOpenssl`, EVP with the
 * standard ID: the path the addon used before it had its own curve code).
 *
 *   node --import tsx bench/sm2.ts            (SM2_BENCH_ROUND_MS to change round length)
 *
 * Each synchronous figure is the median rate of ROUNDS rounds, with the CPU time of this process
 * per operation (process.cpuUsage) beside it: on a shared machine the CPU time moves less with
 * the other load than the rate does. `openssl speed` divides by CPU user time (not wall time,
 * unless -elapsed), so its rate is a CPU-time figure: the "CPU ratio" compares like with like
 * (its CPU time per operation over ours); the wall-clock ratio is printed too.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { SoftwareSigner, verifySignature } from '../src/crypto/signer.ts';
import {
  generateSm2KeyPair,
  Sm2PublicKey,
  sm2CrossCheck,
  sm2SignManyAsync,
  sm2Verify,
  sm2VerifyAsync,
} from '../src/crypto/sm2.ts';

const ROUNDS = 3;
const ROUND_MS = Number(process.env.SM2_BENCH_ROUND_MS ?? 1000);
const OPENSSL_SECONDS = 3;
/** Issue #2's floor; with its own curve code the addon is expected far above it. */
const TARGET_RATIO = 0.8;
// openssl speed signs 20-byte buffers; use the same so the hashing share is equal.
const MESSAGE = Buffer.alloc(20, 0x61);

interface Rate {
  perSecond: number;
  /** CPU time of this process per operation, in microseconds. */
  cpuUs: number;
}

/** Median of ROUNDS rounds of ROUND_MS of a synchronous op. */
function measure(op: () => void): Rate {
  for (let i = 0; i < 50; i++) op(); // warm-up: JIT, OpenSSL method caches, key tables
  const rounds: Rate[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      for (let i = 0; i < 16; i++) op();
      count += 16;
      elapsed = performance.now() - start;
    }
    const used = process.cpuUsage(cpu);
    rounds.push({ perSecond: (count * 1000) / elapsed, cpuUs: (used.user + used.system) / count });
  }
  rounds.sort((a, b) => a.perSecond - b.perSecond);
  return rounds[Math.floor(rounds.length / 2)]!;
}

/**
 * Verification under keys seen for the first time: each key handle verifies 7 signatures, below
 * the 8 after which the addon builds the key's own table, so every call takes the wNAF path.
 * Handles are made before the clock starts (parsing a key is not what is measured).
 */
function measureFreshKeyVerify(publicKey: Buffer, signature: Buffer): Rate {
  const perKey = 7;
  const keys = Array.from({ length: Math.ceil((ROUND_MS * 6) / perKey) }, () => Sm2PublicKey.from(publicKey));
  const rounds: Rate[] = [];
  let next = 0;
  for (let round = 0; round < ROUNDS && next < keys.length; round++) {
    let count = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    while (performance.now() - start < ROUND_MS && next < keys.length) {
      const key = keys[next++]!;
      for (let i = 0; i < perKey; i++) {
        if (!sm2Verify(key, MESSAGE, signature)) throw new Error('verify failed');
      }
      count += perKey;
    }
    const elapsed = performance.now() - start;
    const used = process.cpuUsage(cpu);
    rounds.push({ perSecond: (count * 1000) / elapsed, cpuUs: (used.user + used.system) / count });
  }
  rounds.sort((a, b) => a.perSecond - b.perSecond);
  return rounds[Math.floor(rounds.length / 2)]!;
}

/** Throughput with many calls in flight on the libuv pool; CPU time includes the pool threads. */
async function measureAsync(op: () => Promise<number>, durationMs: number): Promise<Rate> {
  const inFlight = 64;
  let count = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const worker = async () => {
    while (performance.now() - start < durationMs) {
      // Not `count += await op()`: that reads count before the await and loses the other workers' updates.
      const done = await op();
      count += done;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const used = process.cpuUsage(cpu);
  return {
    perSecond: (count * 1000) / (performance.now() - start),
    cpuUs: (used.user + used.system) / count,
  };
}

export function opensslSpeed(): { sign: number; verify: number } | null {
  const r = spawnSync('openssl', ['speed', '-seconds', String(OPENSSL_SECONDS), 'sm2'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  // " 256 bits SM2 (CurveSM2)   0.0003s   0.0003s   3092.0   3537.1"
  const line = r.stdout.split('\n').find((l) => /SM2 \(CurveSM2\)/.test(l));
  const numbers = line?.trim().split(/\s+/).slice(-2).map(Number);
  if (numbers?.length !== 2 || numbers.some((n) => !Number.isFinite(n))) return null;
  return { sign: numbers[0]!, verify: numbers[1]! };
}

/** Measures, prints the table, and returns the figures (for bench/run.ts and CI trends). */
export async function run(): Promise<Record<string, number>> {
  const loadBefore = loadavg()[0]!;
  const { signer } = SoftwareSigner.generate('bench');
  const publicKey = signer.publicKey;
  const signature = signer.signSync(MESSAGE);
  const batch = Array.from({ length: 64 }, () => MESSAGE);

  const sign = measure(() => signer.signSync(MESSAGE));
  const verify = measure(() => {
    if (!verifySignature(publicKey, MESSAGE, signature)) throw new Error('verify failed');
  });
  const verifyFresh = measureFreshKeyVerify(publicKey, signature);
  // The same key through OpenSSL's EVP SM2 (the addon's previous path), in this process.
  const evpPair = generateSm2KeyPair();
  const opensslKey = evpPair.publicKey;
  const opensslSignature = sm2CrossCheck.signOpenssl(evpPair.key, MESSAGE);
  const evpSign = measure(() => sm2CrossCheck.signOpenssl(evpPair.key, MESSAGE));
  const evpVerify = measure(() => {
    if (!sm2CrossCheck.verifyOpenssl(opensslKey, MESSAGE, opensslSignature)) throw new Error('verify failed');
  });
  const reference = opensslSpeed();
  const asyncSign = await measureAsync(async () => {
    await signer.sign(MESSAGE);
    return 1;
  }, 2000);
  const asyncBatch = await measureAsync(async () => {
    await sm2SignManyAsync(evpPair.key, batch);
    return batch.length;
  }, 2000);
  const asyncVerify = await measureAsync(async () => {
    if (!(await sm2VerifyAsync(publicKey, MESSAGE, signature))) throw new Error('verify failed');
    return 1;
  }, 2000);

  const result: Record<string, number> = {
    'sm2.sign_per_s': sign.perSecond,
    'sm2.sign_cpu_us': sign.cpuUs,
    'sm2.verify_per_s': verify.perSecond,
    'sm2.verify_cpu_us': verify.cpuUs,
    'sm2.verify_fresh_key_per_s': verifyFresh.perSecond,
    'sm2.verify_fresh_key_cpu_us': verifyFresh.cpuUs,
    'sm2.evp_sign_per_s': evpSign.perSecond,
    'sm2.evp_sign_cpu_us': evpSign.cpuUs,
    'sm2.evp_verify_per_s': evpVerify.perSecond,
    'sm2.evp_verify_cpu_us': evpVerify.cpuUs,
    'sm2.async_sign_per_s': asyncSign.perSecond,
    'sm2.async_sign_cpu_us': asyncSign.cpuUs,
    'sm2.async_batch_sign_per_s': asyncBatch.perSecond,
    'sm2.async_batch_sign_cpu_us': asyncBatch.cpuUs,
    'sm2.async_verify_per_s': asyncVerify.perSecond,
    'sm2.async_verify_cpu_us': asyncVerify.cpuUs,
    'load.before': loadBefore,
    'load.after': loadavg()[0]!,
  };
  if (reference) {
    result['openssl.sign_per_s'] = reference.sign;
    result['openssl.verify_per_s'] = reference.verify;
    result['sm2.sign_ratio'] = sign.perSecond / reference.sign;
    result['sm2.verify_ratio'] = verify.perSecond / reference.verify;
    result['sm2.verify_fresh_key_ratio'] = verifyFresh.perSecond / reference.verify;
    result['sm2.sign_cpu_ratio'] = 1e6 / reference.sign / sign.cpuUs;
    result['sm2.verify_cpu_ratio'] = 1e6 / reference.verify / verify.cpuUs;
    result['sm2.verify_fresh_key_cpu_ratio'] = 1e6 / reference.verify / verifyFresh.cpuUs;
  }
  print(result);
  return result;
}

function print(r: Record<string, number>): void {
  const f = (n: number | undefined) => (n === undefined ? '     n/a' : n.toFixed(0).padStart(8));
  const us = (n: number | undefined) => (n === undefined ? '    n/a' : `${n.toFixed(1).padStart(6)}µs`);
  const ratio = (n: number | undefined) =>
    n === undefined ? '       n/a' : `${n.toFixed(2).padStart(6)}${n >= TARGET_RATIO ? '    ' : ' LOW'}`;
  console.log(
    `SM2 (SM3, default ID), one core, median of ${ROUNDS} × ${ROUND_MS} ms; openssl speed -seconds ${OPENSSL_SECONDS}; ` +
      `load average ${r['load.before']?.toFixed(1)} → ${r['load.after']?.toFixed(1)} on ${availableParallelism()} CPUs`,
  );
  const blank = ' '.repeat(8);
  const row = (name: string, key: string, evp?: string, speed?: string) =>
    console.log(
      `${name.padEnd(20)} ${f(r[`sm2.${key}_per_s`])}  ${us(r[`sm2.${key}_cpu_us`])}  ` +
        `${evp ? f(r[`sm2.${evp}_per_s`]) : blank}  ${evp ? us(r[`sm2.${evp}_cpu_us`]) : blank}  ` +
        `${speed ? f(r[`openssl.${speed}_per_s`]) : blank}  ${ratio(r[`sm2.${key}_cpu_ratio`])}  ${ratio(r[`sm2.${key}_ratio`])}`,
    );
  console.log(
    'op                   roadcert/s    CPU/op  EVP/s       CPU/op  speed/s   CPU ratio  wall ratio',
  );
  row('sign', 'sign', 'evp_sign', 'sign');
  row('verify (key in use)', 'verify', 'evp_verify', 'verify');
  row('verify (fresh key)', 'verify_fresh_key');
  const pool = process.env.UV_THREADPOOL_SIZE ?? '4';
  console.log(
    `async on the libuv pool (UV_THREADPOOL_SIZE=${pool}, 64 in flight): ` +
      `sign ${f(r['sm2.async_sign_per_s']).trim()}/s (${us(r['sm2.async_sign_cpu_us']).trim()} CPU each), ` +
      `signManyAsync ×64 ${f(r['sm2.async_batch_sign_per_s']).trim()}/s (${us(r['sm2.async_batch_sign_cpu_us']).trim()}), ` +
      `verify ${f(r['sm2.async_verify_per_s']).trim()}/s (${us(r['sm2.async_verify_cpu_us']).trim()})`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
