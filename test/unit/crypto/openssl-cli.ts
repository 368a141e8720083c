import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DER_TAG, encodeTlv, encodeUnsignedInteger, expectTlv } from '../../../src/crypto/der.ts';
import { toPem } from '../../../src/crypto/pem.ts';

/** Helpers for handing keys, messages and certificates to the real `openssl` command. */

export const opensslAvailable = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
if (!opensslAvailable && (process.env.CI === 'true' || process.env.ROADCERT_REQUIRE_PG === '1')) {
  // In CI the independent check is mandatory: a missing openssl fails, it does not skip.
  throw new Error('the openssl CLI is required in CI for the cryptography cross-checks');
}
export const skipWithoutOpenssl = opensslAvailable ? false : 'openssl CLI not found on PATH';

export function openssl(args: string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `fn` with a fresh directory under os.tmpdir(), removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'roadcert-crypto-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SM2_CURVE_OID_DER = Buffer.from('06082a811ccf5501822d', 'hex');

/**
 * SEC1 `EC PRIVATE KEY` PEM (RFC 5915) for an SM2 key — test-only, so the production API
 * keeps no way to export a private key in clear.
 */
export function sec1PrivateKeyPem(d: Uint8Array, publicKey: Uint8Array): string {
  const der = encodeTlv(
    DER_TAG.SEQUENCE,
    Buffer.concat([
      encodeUnsignedInteger(1n),
      encodeTlv(DER_TAG.OCTET_STRING, d),
      encodeTlv(0xa0, SM2_CURVE_OID_DER),
      encodeTlv(0xa1, encodeTlv(DER_TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), publicKey]))),
    ]),
  );
  return toPem(der, 'EC PRIVATE KEY');
}

/** The 32-byte scalar from SEC1 ECPrivateKey DER (`openssl ec -outform DER`). */
export function scalarFromSec1Der(der: Uint8Array): Buffer {
  const seq = expectTlv(der, 0, DER_TAG.SEQUENCE, 'ECPrivateKey');
  const version = expectTlv(der, seq.contentStart, DER_TAG.INTEGER, 'version', seq.end);
  const d = expectTlv(der, version.end, DER_TAG.OCTET_STRING, 'privateKey', seq.end);
  const bytes = Buffer.from(der.subarray(d.contentStart, d.end));
  return Buffer.concat([Buffer.alloc(32 - bytes.length), bytes]);
}
