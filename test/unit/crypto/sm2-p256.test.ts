import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { bigintToFixedBytes, bytesToBigint } from '../../../src/crypto/der.ts';
import { sm2CrossCheck, sm2Digest } from '../../../src/crypto/sm2.ts';
import { SM2_CURVE } from '../../../src/crypto/sm2-curve.ts';
import { referencePublicKey, referenceSign } from '../../../src/crypto/sm2-reference.ts';

/*
 * The native curve arithmetic (native/sm2p256.c) against the BigInt reference of GB/T 32918
 * (sm2-reference.ts), on the scalars where limb arithmetic, carries, the 4-bit table and the
 * wNAF digits are most likely to go wrong. Every multiple of G is d·G for d = k mod n, so
 * `expectedMultiple` needs only the reference's d·G (d in [1, n-2]) plus the two ends.
 */

const { n, p, gx, gy } = SM2_CURVE;
const mod = (x: bigint, m: bigint) => ((x % m) + m) % m;
const be32 = (x: bigint) => bigintToFixedBytes(x, 32);
const randomScalar = () => bytesToBigint(randomBytes(32));

const NEG_G = Buffer.concat([Buffer.from([4]), be32(gx), be32(p - gy)]);

/** k·G from the reference, or null for the point at infinity. */
function expectedMultiple(k: bigint): Buffer | null {
  const d = mod(k, n);
  if (d === 0n) return null;
  if (d === n - 1n) return NEG_G; // the reference key derivation stops at n-2
  return referencePublicKey(d);
}

/** A curve point whose x is below 2^256 - p, so that x + p still fits in 32 bytes. */
function pointWithSmallX(): Buffer {
  const { a, b } = SM2_CURVE;
  const pow = (base: bigint, e: bigint) => {
    let result = 1n;
    let x = mod(base, p);
    for (; e > 0n; e >>= 1n) {
      if (e & 1n) result = (result * x) % p;
      x = (x * x) % p;
    }
    return result;
  };
  for (let x = 0n; ; x++) {
    const rhs = mod(x ** 3n + a * x + b, p);
    const y = pow(rhs, (p + 1n) / 4n); // p ≡ 3 (mod 4)
    if ((y * y) % p === rhs) return Buffer.concat([Buffer.from([4]), be32(x), be32(y)]);
  }
}

const hex = (b: Buffer | null) => (b === null ? 'infinity' : b.toString('hex'));

const LIMB = (1n << 64n) - 1n;
const EDGE_SCALARS: Array<[string, bigint]> = [
  ['0', 0n],
  ['1', 1n],
  ['2', 2n],
  ['3', 3n],
  ['15', 15n],
  ['16', 16n],
  ['n-1', n - 1n],
  ['n-2', n - 2n],
  ['n', n],
  // wNAF ends in digit -3 with the ladder at -3·P: an addition of equal points (doubling case).
  ['n-6', n - 6n],
  ['n+1', n + 1n],
  ['2n-1 mod 2^256', mod(2n * n - 1n, 1n << 256n)],
  ['2^255', 1n << 255n],
  ['2^255 - 1', (1n << 255n) - 1n],
  ['2^256 - 1 (all ones)', (1n << 256n) - 1n],
  ['limb 0 all ones', LIMB],
  ['limb 1 all ones', LIMB << 64n],
  ['limb 2 all ones', LIMB << 128n],
  ['limb 3 all ones', LIMB << 192n],
  ['limbs 0 and 2 all ones', LIMB | (LIMB << 128n)],
  ['p', p],
  ['p-1', p - 1n],
  ['0x0f0f…', BigInt(`0x${'0f'.repeat(32)}`)],
  // Every 5-bit window 16 (the largest positive digit) or 17 (the first that carries).
  ['windows of 16', BigInt(`0b${'10000'.repeat(51)}`)],
  ['windows of 17', BigInt(`0b${'10001'.repeat(51)}`)],
  ['0xf0f0…', BigInt(`0x${'f0'.repeat(32)}`)],
  ['0x8000…0001', (1n << 255n) | 1n],
  ['16^63 (top digit only)', 1n << 252n],
  ['31·32^50 (a carry into the last window)', 31n << 250n],
  ['digits 15 then zeros', 15n << 248n],
  ['alternating 0x55', BigInt(`0x${'55'.repeat(32)}`)],
  ['alternating 0xaa', BigInt(`0x${'aa'.repeat(32)}`)],
];

describe('native k·G (fixed-base table)', () => {
  test('edge scalars match the reference', () => {
    for (const [name, k] of EDGE_SCALARS) {
      assert.equal(hex(sm2CrossCheck.mulBase(be32(k))), hex(expectedMultiple(k)), name);
    }
  });

  test('j·32^i for every window i: each table row, negative digits and carries', () => {
    // The table holds j·32^i for j = 1…16; 17…31 recode to a negative digit plus a carry.
    for (let i = 0; i < 52; i++) {
      for (const j of [1n, 16n, 17n, 31n]) {
        const k = (j << BigInt(5 * i)) & ((1n << 256n) - 1n);
        assert.equal(hex(sm2CrossCheck.mulBase(be32(k))), hex(expectedMultiple(k)), `${j}·32^${i}`);
      }
    }
  });

  test('random scalars match the reference', () => {
    for (let i = 0; i < 100; i++) {
      const k = randomScalar();
      assert.equal(hex(sm2CrossCheck.mulBase(be32(k))), hex(expectedMultiple(k)), k.toString(16));
    }
  });

  test('arguments other than a 32-byte array are refused', () => {
    assert.throws(() => sm2CrossCheck.mulBase(Buffer.alloc(31)), /32-byte/);
    assert.throws(() => sm2CrossCheck.mulBase(Buffer.alloc(33)), /32-byte/);
    assert.throws(() => sm2CrossCheck.mulBase('00' as unknown as Uint8Array), /32-byte/);
  });
});

describe('native u·G + t·P (the verification sum, t·P by wNAF and from a table of P)', () => {
  // P = d·G, so u·G + t·P = (u + t·d)·G: the reference needs only d·G.
  const keys = [1n, n - 2n, (randomScalar() % (n - 2n)) + 1n];

  const points = new Map<bigint, Buffer>();
  function check(u: bigint, t: bigint, d: bigint, label: string) {
    let point = points.get(d);
    if (point === undefined) {
      point = d === n - 1n ? NEG_G : referencePublicKey(d);
      points.set(d, point);
    }
    const want = hex(expectedMultiple(u + t * d));
    assert.equal(hex(sm2CrossCheck.mulAdd(be32(u), be32(t), point)), want, `${label} (wNAF)`);
    assert.equal(hex(sm2CrossCheck.mulAdd(be32(u), be32(t), point, true)), want, `${label} (table of P)`);
  }

  test('edge scalars for u and t, on several keys', () => {
    for (const d of keys) {
      // Every edge t against half the edge u (and the other half on the next key), to bound the
      // BigInt reference's run time.
      const offset = keys.indexOf(d) % 2;
      for (const [un, u] of EDGE_SCALARS.filter((_, i) => i % 2 === offset)) {
        for (const [tn, t] of EDGE_SCALARS.filter((_, i) => i % 4 === 0))
          check(u, t, d, `d=${d} u=${un} t=${tn}`);
      }
    }
  });

  test('edge t with P = -G and P = G (sums that cancel or double)', () => {
    for (const [tn, t] of EDGE_SCALARS) {
      check(t, t, n - 1n, `u = t = ${tn}, P = -G`); // t·G - t·G
      check(t, t, 1n, `u = t = ${tn}, P = G`); // t·G + t·G
    }
  });

  test('u + t·d ≡ 0 and ≡ -1 (mod n): infinity and -G', () => {
    for (const d of keys) {
      const t = randomScalar();
      check(mod(-t * d, n), t, d, 'sum at infinity');
      check(mod(-t * d - 1n, n), t, d, 'sum -G');
      check(mod(-t * d + 1n, n), t, d, 'sum G');
    }
  });

  test('random u, t, P match the reference', () => {
    for (let i = 0; i < 60; i++) {
      const d = (randomScalar() % (n - 2n)) + 1n;
      check(randomScalar(), randomScalar(), d, `case ${i}`);
    }
  });

  test('points off the curve, with a coordinate >= p, or not 04‖x‖y are refused', () => {
    const good = referencePublicKey(7n);
    const one = be32(1n);
    const offCurve = Buffer.from(good);
    offCurve[64]! ^= 1;
    assert.throws(() => sm2CrossCheck.mulAdd(one, one, offCurve), /not on the SM2 curve/);
    // (x + p, y) names the same residue but is not a canonical encoding.
    const small = pointWithSmallX();
    assert.notEqual(sm2CrossCheck.mulAdd(one, one, small), null); // canonical: accepted
    const x = bytesToBigint(small.subarray(1, 33));
    const aliased = Buffer.concat([Buffer.from([4]), be32(x + p), small.subarray(33)]);
    assert.throws(() => sm2CrossCheck.mulAdd(one, one, aliased), /not on the SM2 curve/);
    // y >= p: (x, p + 1), (x, 2^256 - 1).
    for (const y of [p, p + 1n, (1n << 256n) - 1n]) {
      const bad = Buffer.concat([small.subarray(0, 33), be32(y)]);
      assert.throws(() => sm2CrossCheck.mulAdd(one, one, bad), /not on the SM2 curve/);
    }
    assert.throws(() => sm2CrossCheck.mulAdd(one, one, Buffer.alloc(65)), /not on the SM2 curve/);
    assert.throws(() => sm2CrossCheck.mulAdd(one, one, Buffer.concat([Buffer.from([2]), good.subarray(1)])));
    assert.throws(() => sm2CrossCheck.mulAdd(one, one, good.subarray(0, 64)));
    assert.throws(() => sm2CrossCheck.mulAdd(one, one, Buffer.concat([Buffer.from([4]), be32(p), be32(0n)])));
  });
});

describe('native signing formula with a chosen k', () => {
  const VECTOR = {
    d: Buffer.from('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8', 'hex'),
    k: Buffer.from('59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21', 'hex'),
    e: Buffer.from('F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640', 'hex'),
    r: 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3',
    s: 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa',
  };

  const sign = (d: bigint, e: bigint, k: bigint) => sm2CrossCheck.signDigestWithK(be32(d), be32(e), be32(k));
  const expected = (d: bigint, e: bigint, k: bigint) => {
    const sig = referenceSign({ privateKey: d, e, k });
    return sig === null ? 'rejected' : be32(sig.r).toString('hex') + be32(sig.s).toString('hex');
  };
  const got = (d: bigint, e: bigint, k: bigint) => sign(d, e, k)?.toString('hex') ?? 'rejected';

  test('reproduces the GB/T 32918.5 vector (r, s) for its d, e and k', () => {
    const rs = sm2CrossCheck.signDigestWithK(VECTOR.d, VECTOR.e, VECTOR.k);
    assert.equal(rs?.toString('hex'), VECTOR.r + VECTOR.s);
    const publicKey = referencePublicKey(VECTOR.d);
    assert.equal(
      sm2Digest(publicKey, Buffer.from('message digest')).toString('hex'),
      VECTOR.e.toString('hex'),
    );
  });

  test('edge d, e and k match the reference', () => {
    const ds = [1n, n - 2n, (randomScalar() % (n - 2n)) + 1n];
    const es = [0n, 1n, n - 1n, n, n + 1n, (1n << 256n) - 1n, randomScalar()];
    const ks = [1n, n - 1n, 1n << 255n, (randomScalar() % (n - 1n)) + 1n];
    for (const d of ds) for (const e of es) for (const k of ks) assert.equal(got(d, e, k), expected(d, e, k));
  });

  test('random d, e, k match the reference', () => {
    for (let i = 0; i < 60; i++) {
      const d = (randomScalar() % (n - 2n)) + 1n;
      const e = randomScalar();
      const k = (randomScalar() % (n - 1n)) + 1n;
      assert.equal(got(d, e, k), expected(d, e, k), `case ${i}`);
    }
  });

  test('the k that must be rejected are: r = 0, r + k = n, s = 0', () => {
    const d = (randomScalar() % (n - 2n)) + 1n;
    const k = (randomScalar() % (n - 1n)) + 1n;
    const x1 = bytesToBigint(referencePublicKey(k).subarray(1, 33));
    const dInv = (() => {
      // d^-1 mod n by Fermat, in BigInt.
      let result = 1n;
      let base = d;
      for (let e = n - 2n; e > 0n; e >>= 1n) {
        if (e & 1n) result = (result * base) % n;
        base = (base * base) % n;
      }
      return result;
    })();
    const cases: Array<[string, bigint]> = [
      ['r = 0', mod(-x1, n)],
      ['r + k = n', mod(-k - x1, n)],
      ['s = 0 (k = r·d)', mod(k * dInv - x1, n)],
    ];
    for (const [name, e] of cases) {
      assert.equal(expected(d, e, k), 'rejected', `reference: ${name}`);
      assert.equal(sign(d, e, k), null, name);
    }
    // One step away from each case is an ordinary signature.
    for (const [name, e] of cases) assert.equal(got(d, e + 1n, k), expected(d, e + 1n, k), `${name} + 1`);
  });

  test('d outside [1, n-2] and k outside [1, n-1] are refused', () => {
    const e = be32(1n);
    for (const d of [0n, n - 1n, n, (1n << 256n) - 1n]) {
      assert.throws(() => sm2CrossCheck.signDigestWithK(be32(d), e, be32(1n)), /d must be in/, `d=${d}`);
    }
    for (const k of [0n, n, n + 1n, (1n << 256n) - 1n]) {
      assert.throws(() => sm2CrossCheck.signDigestWithK(be32(1n), e, be32(k)), /k in/, `k=${k}`);
    }
  });
});
