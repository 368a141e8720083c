/**
 * SM2 speed: our SoftwareSigner (native addon, standard ID) against `openssl speed sm2` on
 * the same machine in the same run. Target: at least 0.8 of OpenSSL's rate on one core.
 *
 *   node --import tsx bench/sm2.ts            (SM2_BENCH_ROUND_MS to change round length)
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { SoftwareSigner, verifySignature } from '../src/crypto/signer.ts';
import { sm2VerifyAsync } from '../src/crypto/sm2.ts';

const ROUNDS = 3;
const ROUND_MS = Number(process.env.SM2_BENCH_ROUND_MS ?? 1000);
const OPENSSL_SECONDS = 3;
const TARGET_RATIO = 0.8;
// openssl speed signs 20-byte buffers; use the same so the hashing share is equal.
const MESSAGE = Buffer.alloc(20, 0x61);

/** Operations per second of a synchronous op, median of ROUNDS rounds of ROUND_MS. */
function opsPerSecond(op: () => void): number {
  for (let i = 0; i < 50; i++) op(); // warm-up: JIT, OpenSSL method caches
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      for (let i = 0; i < 16; i++) op();
      count += 16;
      elapsed = performance.now() - start;
    }
    rates.push((count * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

/** Throughput with many calls in flight on the libuv pool. */
async function asyncOpsPerSecond(op: () => Promise<unknown>, durationMs: number): Promise<number> {
  const inFlight = 64;
  let count = 0;
  const start = performance.now();
  const worker = async () => {
    while (performance.now() - start < durationMs) {
      await op();
      count++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (count * 1000) / (performance.now() - start);
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
  const { signer } = SoftwareSigner.generate('bench');
  const publicKey = signer.publicKey;
  const signature = signer.signSync(MESSAGE);

  const sign = opsPerSecond(() => signer.signSync(MESSAGE));
  const verify = opsPerSecond(() => {
    if (!verifySignature(publicKey, MESSAGE, signature)) throw new Error('verify failed');
  });
  const reference = opensslSpeed();
  const asyncSign = await asyncOpsPerSecond(() => signer.sign(MESSAGE), 2000);
  const asyncVerify = await asyncOpsPerSecond(() => sm2VerifyAsync(publicKey, MESSAGE, signature), 2000);

  const result: Record<string, number> = {
    'sm2.sign_per_s': sign,
    'sm2.verify_per_s': verify,
    'sm2.async_sign_per_s': asyncSign,
    'sm2.async_verify_per_s': asyncVerify,
  };
  if (reference) {
    result['openssl.sign_per_s'] = reference.sign;
    result['openssl.verify_per_s'] = reference.verify;
    result['sm2.sign_ratio'] = sign / reference.sign;
    result['sm2.verify_ratio'] = verify / reference.verify;
  }
  print(result);
  return result;
}

function print(r: Record<string, number>): void {
  const f = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(0).padStart(8));
  const ratio = (n: number | undefined) =>
    n === undefined ? '   n/a' : `${n.toFixed(2).padStart(6)} ${n >= TARGET_RATIO ? 'ok' : 'BELOW TARGET'}`;
  console.log(
    `SM2 (SM3, default ID), one core, median of ${ROUNDS} × ${ROUND_MS} ms; openssl speed -seconds ${OPENSSL_SECONDS}`,
  );
  console.log('op        roadcert   openssl   ratio (target ≥ 0.8)');
  console.log(
    `sign      ${f(r['sm2.sign_per_s'])}  ${f(r['openssl.sign_per_s'])}   ${ratio(r['sm2.sign_ratio'])}`,
  );
  console.log(
    `verify    ${f(r['sm2.verify_per_s'])}  ${f(r['openssl.verify_per_s'])}   ${ratio(r['sm2.verify_ratio'])}`,
  );
  const pool = process.env.UV_THREADPOOL_SIZE ?? '4';
  console.log(
    `async on the libuv pool (UV_THREADPOOL_SIZE=${pool}, ${availableParallelism()} CPUs): ` +
      `sign ${f(r['sm2.async_sign_per_s']).trim()}/s, verify ${f(r['sm2.async_verify_per_s']).trim()}/s`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
