/*
 * SM2 curve arithmetic: y^2 = x^3 - 3x + b over F_p, p = 2^256 - 2^224 - 2^96 + 2^64 - 1,
 * group of prime order n, cofactor 1. See sm2p256.h for the contract.
 *
 * Field and scalar elements are 4 little-endian 64-bit limbs. Products use Montgomery
 * multiplication (CIOS, R = 2^256) with unsigned __int128; every element is kept fully reduced
 * (< modulus) and every reduction is a masked, branch-free conditional subtraction. Because
 * p ≡ -1 (mod 2^64), -p^-1 mod 2^64 = 1 and the p reduction needs no extra multiplication.
 *
 * Points are projective (X : Y : Z), identity (0 : 1 : 0), and are combined with the complete
 * formulas of Renes, Costello and Batina ("Complete addition formulas for prime order elliptic
 * curves", 2016, algorithms 4, 5 and 6 for a = -3). They are correct for every pair of inputs,
 * doubling and identity included, so no code path depends on the values. Only the
 * variable-base ladder of verification (public scalar, public point) uses Jacobian coordinates
 * with branches for its special cases, for a cheaper doubling.
 *
 * k·G uses a fixed signed 5-bit window table: T[i][j-1] = j·32^i·G for i < 52, 1 <= j <= 16,
 * affine, built once by sm2p256_init(). The scalar is recoded (branch-free) into 52 digits in
 * [-16, 16]; each lookup reads all 16 entries of its row and keeps one with a mask, negates y by
 * mask for a negative digit, and each step performs one mixed addition whose result is kept (by
 * mask) unless the digit was 0. The sequence of operations and of memory addresses is
 * therefore the same for every scalar.
 */
#include "sm2p256.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t u64;
__extension__ typedef unsigned __int128 u128; /* GCC and Clang on 64-bit targets */
typedef u64 fe[4];

typedef struct {
  fe X, Y, Z;
} proj;

typedef struct {
  fe x, y;
} affine;

typedef struct {
  u64 m[4];
  u64 m0inv; /* -m^-1 mod 2^64 */
  u64 one[4]; /* R mod m: 1 in the Montgomery domain */
  u64 r2[4];  /* R^2 mod m: converts into the Montgomery domain */
} modulus;

static const u64 P_LIMBS[4] = {0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFF00000000ull, 0xFFFFFFFFFFFFFFFFull,
                               0xFFFFFFFEFFFFFFFFull};
static const u64 N_LIMBS[4] = {0x53BBF40939D54123ull, 0x7203DF6B21C6052Bull, 0xFFFFFFFFFFFFFFFFull,
                               0xFFFFFFFEFFFFFFFFull};
static const u64 B_LIMBS[4] = {0xDDBCBD414D940E93ull, 0xF39789F515AB8F92ull, 0x4D5A9E4BCF6509A7ull,
                               0x28E9FA9E9D9F5E34ull};
static const u64 GX_LIMBS[4] = {0x715A4589334C74C7ull, 0x8FE30BBFF2660BE1ull, 0x5F9904466A39C994ull,
                                0x32C4AE2C1F198119ull};
static const u64 GY_LIMBS[4] = {0x02DF32E52139F0A0ull, 0xD0A9877CC62A4740ull, 0x59BDCEE36B692153ull,
                                0xBC3736A2F4F6779Cull};

static modulus MOD_P, MOD_N;
static fe B_MONT;
/* Signed 5-bit windows: 52 rows cover 260 bits, enough for any 256-bit scalar plus the carry. */
#define ROWS 52
#define COLS 16
static affine G_TABLE[ROWS][COLS];

/* ---------------------------------------------------------------- limb helpers */

void sm2p256_wipe(void *p, size_t len) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (len--) *v++ = 0;
}

/* Add/subtract with carry through unsigned __int128; written out (not looped) so that -O2 keeps
 * them as straight add/adc and sub/sbb chains on every compiler. */
#define ADC(r, a, b, c)            \
  do {                             \
    u128 s_ = (u128)(a) + (b) + (c); \
    (r) = (u64)s_;                 \
    (c) = (u64)(s_ >> 64);         \
  } while (0)
#define SBB(r, a, b, bw)                     \
  do {                                       \
    u128 d_ = (u128)(a) - (b) - (bw);          \
    (r) = (u64)d_;                           \
    (bw) = (u64)(d_ >> 64) & 1;              \
  } while (0)

static inline u64 add4(u64 r[4], const u64 a[4], const u64 b[4]) {
  u64 c = 0;
  ADC(r[0], a[0], b[0], c);
  ADC(r[1], a[1], b[1], c);
  ADC(r[2], a[2], b[2], c);
  ADC(r[3], a[3], b[3], c);
  return c;
}

static inline u64 sub4(u64 r[4], const u64 a[4], const u64 b[4]) {
  u64 bw = 0;
  SBB(r[0], a[0], b[0], bw);
  SBB(r[1], a[1], b[1], bw);
  SBB(r[2], a[2], b[2], bw);
  SBB(r[3], a[3], b[3], bw);
  return bw;
}

/* r = mask ? a : b, mask all-zeros or all-ones. */
static inline void select4(u64 r[4], u64 mask, const u64 a[4], const u64 b[4]) {
  r[0] = (a[0] & mask) | (b[0] & ~mask);
  r[1] = (a[1] & mask) | (b[1] & ~mask);
  r[2] = (a[2] & mask) | (b[2] & ~mask);
  r[3] = (a[3] & mask) | (b[3] & ~mask);
}

/* All-ones when x == y, else 0; no branch. */
static inline u64 eq_mask(u64 x, u64 y) {
  u64 d = x ^ y;
  return ((d | (0 - d)) >> 63) - 1;
}

static inline u64 is_zero_mask(const u64 a[4]) {
  return eq_mask(a[0] | a[1] | a[2] | a[3], 0);
}

static void limbs_from_be(u64 r[4], const uint8_t b[32]) {
  for (int i = 0; i < 4; i++) {
    u64 w = 0;
    for (int j = 0; j < 8; j++) w = (w << 8) | b[(3 - i) * 8 + j];
    r[i] = w;
  }
}

static void limbs_to_be(uint8_t b[32], const u64 a[4]) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++) b[(3 - i) * 8 + j] = (uint8_t)(a[i] >> (56 - 8 * j));
}

/* ---------------------------------------------------------------- arithmetic mod m */

/* r = a + b mod m, for a, b < m. */
static inline void mod_add(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4]) {
  u64 t[4], s[4];
  u64 carry = add4(t, a, b);
  u64 borrow = sub4(s, t, m);
  /* t + carry·2^256 >= m exactly when there was a carry or the subtraction did not borrow. */
  u64 use_s = 0 - ((carry | (borrow ^ 1)) & 1);
  select4(r, use_s, s, t);
}

/* r = a - b mod m, for a, b < m. */
static inline void mod_sub(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4]) {
  u64 t[4], madd[4];
  u64 mask = 0 - sub4(t, a, b);
  madd[0] = m[0] & mask;
  madd[1] = m[1] & mask;
  madd[2] = m[2] & mask;
  madd[3] = m[3] & mask;
  add4(r, t, madd);
}

/* a mod m for a < 2m. */
static inline void reduce_once(u64 r[4], const u64 a[4], const u64 m[4]) {
  u64 s[4];
  u64 borrow = sub4(s, a, m);
  select4(r, borrow - 1, s, a);
}

/* Montgomery product a·b·2^-256 mod m (CIOS), for a·b < m·2^256; result < m. */
static inline void mont_mul(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4], u64 m0inv) {
  u64 t[6] = {0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    u128 c = 0;
    for (int j = 0; j < 4; j++) {
      c += (u128)a[i] * b[j] + t[j];
      t[j] = (u64)c;
      c >>= 64;
    }
    c += t[4];
    t[4] = (u64)c;
    t[5] = (u64)(c >> 64);

    u64 q = t[0] * m0inv;
    c = (u128)q * m[0] + t[0];
    c >>= 64;
    for (int j = 1; j < 4; j++) {
      c += (u128)q * m[j] + t[j];
      t[j - 1] = (u64)c;
      c >>= 64;
    }
    c += t[4];
    t[3] = (u64)c;
    t[4] = t[5] + (u64)(c >> 64);
  }
  u64 s[4];
  u64 borrow = sub4(s, t, m);
  u64 use_s = 0 - ((t[4] | (borrow ^ 1)) & 1);
  select4(r, use_s, s, t);
}

/* Field mod p (Montgomery domain). */
/*
 * Montgomery product mod p, specialised. With q = t[0] (as -p^-1 ≡ 1 mod 2^64),
 * (t + q·p) / 2^64 = (t >> 64) + q·C where C = (p + 1) / 2^64 = 2^192 - 2^160 - 2^32 + 1 has
 * three limbs, so each of the four reduction steps costs three products instead of four.
 */
static const u64 PC0 = 0xFFFFFFFF00000001ull, PC1 = 0xFFFFFFFFFFFFFFFFull, PC2 = 0xFFFFFFFEFFFFFFFFull;

#define FP_MUL_ROW(ai)                                  \
  do {                                                  \
    u128 c_ = (u128)(ai) * b0 + t0;                     \
    t0 = (u64)c_;                                       \
    c_ = (c_ >> 64) + (u128)(ai) * b1 + t1;             \
    t1 = (u64)c_;                                       \
    c_ = (c_ >> 64) + (u128)(ai) * b2 + t2;             \
    t2 = (u64)c_;                                       \
    c_ = (c_ >> 64) + (u128)(ai) * b3 + t3;             \
    t3 = (u64)c_;                                       \
    c_ = (c_ >> 64) + t4;                               \
    t4 = (u64)c_;                                       \
    u64 t5_ = (u64)(c_ >> 64);                          \
    u64 q_ = t0;                                        \
    c_ = (u128)q_ * PC0 + t1;                           \
    t0 = (u64)c_;                                       \
    c_ = (c_ >> 64) + (u128)q_ * PC1 + t2;              \
    t1 = (u64)c_;                                       \
    c_ = (c_ >> 64) + (u128)q_ * PC2 + t3;              \
    t2 = (u64)c_;                                       \
    c_ = (c_ >> 64) + t4;                               \
    t3 = (u64)c_;                                       \
    t4 = t5_ + (u64)(c_ >> 64);                         \
  } while (0)

static inline void fp_mul(fe r, const fe a, const fe b) {
  const u64 b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
  FP_MUL_ROW(a[0]);
  FP_MUL_ROW(a[1]);
  FP_MUL_ROW(a[2]);
  FP_MUL_ROW(a[3]);
  /* t < 2p: subtract p once if t >= p. */
  u64 s[4], t[4] = {t0, t1, t2, t3};
  u64 borrow = sub4(s, t, P_LIMBS);
  u64 use_s = 0 - ((t4 | (borrow ^ 1)) & 1);
  select4(r, use_s, s, t);
}
static inline void fp_add(fe r, const fe a, const fe b) { mod_add(r, a, b, P_LIMBS); }
static inline void fp_sub(fe r, const fe a, const fe b) { mod_sub(r, a, b, P_LIMBS); }
static inline void fn_mul(u64 r[4], const u64 a[4], const u64 b[4]) { mont_mul(r, a, b, N_LIMBS, MOD_N.m0inv); }

static void to_mont(u64 r[4], const u64 a[4], const modulus *md) { mont_mul(r, a, md->r2, md->m, md->m0inv); }
static void from_mont(u64 r[4], const u64 a[4], const modulus *md) {
  static const u64 ONE[4] = {1, 0, 0, 0};
  mont_mul(r, a, ONE, md->m, md->m0inv);
}

/*
 * a^(m-2) = a^-1 in the Montgomery domain (Fermat; m is prime). The exponent is the public
 * constant m-2, so the fixed 4-bit window below branches on public bits only; the cost and the
 * memory accesses are the same for every a. a = 0 gives 0.
 */
static inline void mod_mul_dispatch(u64 r[4], const u64 a[4], const u64 b[4], const modulus *md) {
  if (md == &MOD_P) fp_mul(r, a, b); /* the specialised p product; md is a public constant */
  else mont_mul(r, a, b, md->m, md->m0inv);
}

static void mod_inv(u64 r[4], const u64 a[4], const modulus *md) {
  u64 e[4], tab[16][4], acc[4];
  static const u64 TWO[4] = {2, 0, 0, 0};
  sub4(e, md->m, TWO);
  memcpy(tab[0], md->one, sizeof tab[0]);
  memcpy(tab[1], a, sizeof tab[1]);
  for (int i = 2; i < 16; i++) mod_mul_dispatch(tab[i], tab[i - 1], a, md);
  memcpy(acc, md->one, sizeof acc);
  for (int i = 63; i >= 0; i--) {
    for (int j = 0; j < 4; j++) mod_mul_dispatch(acc, acc, acc, md);
    unsigned nib = (unsigned)(e[i / 16] >> (4 * (i % 16))) & 15;
    if (nib != 0) mod_mul_dispatch(acc, acc, tab[nib], md); /* public exponent digit */
  }
  memcpy(r, acc, sizeof acc);
  sm2p256_wipe(tab, sizeof tab);
  sm2p256_wipe(acc, sizeof acc);
}

static void modulus_init(modulus *md, const u64 m[4]) {
  memcpy(md->m, m, sizeof md->m);
  /* Newton iteration for m[0]^-1 mod 2^64: m[0]·m[0] ≡ 1 (mod 8), each step doubles the bits. */
  u64 inv = m[0];
  for (int i = 0; i < 5; i++) inv *= 2 - m[0] * inv;
  md->m0inv = 0 - inv;
  /* m > 2^255, so 2^256 mod m = 2^256 - m; doubling it 256 times gives 2^512 mod m. */
  static const u64 ZERO[4] = {0, 0, 0, 0};
  sub4(md->one, ZERO, m);
  u64 t[4];
  memcpy(t, md->one, sizeof t);
  for (int i = 0; i < 256; i++) mod_add(t, t, t, m);
  memcpy(md->r2, t, sizeof t);
}

/* ---------------------------------------------------------------- points */

static void proj_identity(proj *r) {
  memset(r, 0, sizeof *r);
  memcpy(r->Y, MOD_P.one, sizeof r->Y);
}

/* RCB16 algorithm 4: R = P + Q, complete (a = -3). R may alias P or Q. */
static void pt_add(proj *R, const proj *P, const proj *Q) {
  fe t0, t1, t2, t3, t4, X3, Y3, Z3;
  fp_mul(t0, P->X, Q->X);
  fp_mul(t1, P->Y, Q->Y);
  fp_mul(t2, P->Z, Q->Z);
  fp_add(t3, P->X, P->Y);
  fp_add(t4, Q->X, Q->Y);
  fp_mul(t3, t3, t4);
  fp_add(t4, t0, t1);
  fp_sub(t3, t3, t4);
  fp_add(t4, P->Y, P->Z);
  fp_add(X3, Q->Y, Q->Z);
  fp_mul(t4, t4, X3);
  fp_add(X3, t1, t2);
  fp_sub(t4, t4, X3);
  fp_add(X3, P->X, P->Z);
  fp_add(Y3, Q->X, Q->Z);
  fp_mul(X3, X3, Y3);
  fp_add(Y3, t0, t2);
  fp_sub(Y3, X3, Y3);
  fp_mul(Z3, B_MONT, t2);
  fp_sub(X3, Y3, Z3);
  fp_add(Z3, X3, X3);
  fp_add(X3, X3, Z3);
  fp_sub(Z3, t1, X3);
  fp_add(X3, t1, X3);
  fp_mul(Y3, B_MONT, Y3);
  fp_add(t1, t2, t2);
  fp_add(t2, t1, t2);
  fp_sub(Y3, Y3, t2);
  fp_sub(Y3, Y3, t0);
  fp_add(t1, Y3, Y3);
  fp_add(Y3, t1, Y3);
  fp_add(t1, t0, t0);
  fp_add(t0, t1, t0);
  fp_sub(t0, t0, t2);
  fp_mul(t1, t4, Y3);
  fp_mul(t2, t0, Y3);
  fp_mul(Y3, X3, Z3);
  fp_add(Y3, Y3, t2);
  fp_mul(X3, t3, X3);
  fp_sub(X3, X3, t1);
  fp_mul(Z3, t4, Z3);
  fp_mul(t1, t3, t0);
  fp_add(Z3, Z3, t1);
  memcpy(R->X, X3, sizeof X3);
  memcpy(R->Y, Y3, sizeof Y3);
  memcpy(R->Z, Z3, sizeof Z3);
}

/* RCB16 algorithm 5: R = P + Q with Q affine (never the identity), complete otherwise. */
static void pt_madd(proj *R, const proj *P, const affine *Q) {
  fe t0, t1, t2, t3, t4, X3, Y3, Z3;
  fp_mul(t0, P->X, Q->x);
  fp_mul(t1, P->Y, Q->y);
  fp_add(t3, Q->x, Q->y);
  fp_add(t4, P->X, P->Y);
  fp_mul(t3, t3, t4);
  fp_add(t4, t0, t1);
  fp_sub(t3, t3, t4);
  fp_mul(t4, Q->y, P->Z);
  fp_add(t4, t4, P->Y);
  fp_mul(Y3, Q->x, P->Z);
  fp_add(Y3, Y3, P->X);
  fp_mul(Z3, B_MONT, P->Z);
  fp_sub(X3, Y3, Z3);
  fp_add(Z3, X3, X3);
  fp_add(X3, X3, Z3);
  fp_sub(Z3, t1, X3);
  fp_add(X3, t1, X3);
  fp_mul(Y3, B_MONT, Y3);
  fp_add(t1, P->Z, P->Z);
  fp_add(t2, t1, P->Z);
  fp_sub(Y3, Y3, t2);
  fp_sub(Y3, Y3, t0);
  fp_add(t1, Y3, Y3);
  fp_add(Y3, t1, Y3);
  fp_add(t1, t0, t0);
  fp_add(t0, t1, t0);
  fp_sub(t0, t0, t2);
  fp_mul(t1, t4, Y3);
  fp_mul(t2, t0, Y3);
  fp_mul(Y3, X3, Z3);
  fp_add(Y3, Y3, t2);
  fp_mul(X3, t3, X3);
  fp_sub(X3, X3, t1);
  fp_mul(Z3, t4, Z3);
  fp_mul(t1, t3, t0);
  fp_add(Z3, Z3, t1);
  memcpy(R->X, X3, sizeof X3);
  memcpy(R->Y, Y3, sizeof Y3);
  memcpy(R->Z, Z3, sizeof Z3);
}

/* RCB16 algorithm 6: R = 2P, complete (a = -3). R may alias P. */
static void pt_dbl(proj *R, const proj *P) {
  fe t0, t1, t2, t3, X3, Y3, Z3;
  fp_mul(t0, P->X, P->X);
  fp_mul(t1, P->Y, P->Y);
  fp_mul(t2, P->Z, P->Z);
  fp_mul(t3, P->X, P->Y);
  fp_add(t3, t3, t3);
  fp_mul(Z3, P->X, P->Z);
  fp_add(Z3, Z3, Z3);
  fp_mul(Y3, B_MONT, t2);
  fp_sub(Y3, Y3, Z3);
  fp_add(X3, Y3, Y3);
  fp_add(Y3, X3, Y3);
  fp_sub(X3, t1, Y3);
  fp_add(Y3, t1, Y3);
  fp_mul(Y3, X3, Y3);
  fp_mul(X3, X3, t3);
  fp_add(t3, t2, t2);
  fp_add(t2, t2, t3);
  fp_mul(Z3, B_MONT, Z3);
  fp_sub(Z3, Z3, t2);
  fp_sub(Z3, Z3, t0);
  fp_add(t3, Z3, Z3);
  fp_add(Z3, Z3, t3);
  fp_add(t3, t0, t0);
  fp_add(t0, t3, t0);
  fp_sub(t0, t0, t2);
  fp_mul(t0, t0, Z3);
  fp_add(Y3, Y3, t0);
  fp_mul(t0, P->Y, P->Z);
  fp_add(t0, t0, t0);
  fp_mul(Z3, t0, Z3);
  fp_sub(X3, X3, Z3);
  fp_mul(Z3, t0, t1);
  fp_add(Z3, Z3, Z3);
  fp_add(Z3, Z3, Z3);
  memcpy(R->X, X3, sizeof X3);
  memcpy(R->Y, Y3, sizeof Y3);
  memcpy(R->Z, Z3, sizeof Z3);
}

/* Affine coordinates (normal domain, < p) of a projective point; Z must be non-zero. */
static void proj_to_affine_limbs(u64 x[4], u64 y[4], const proj *P) {
  fe zinv, t;
  mod_inv(zinv, P->Z, &MOD_P);
  fp_mul(t, P->X, zinv);
  from_mont(x, t, &MOD_P);
  if (y != NULL) {
    fp_mul(t, P->Y, zinv);
    from_mont(y, t, &MOD_P);
  }
  sm2p256_wipe(zinv, sizeof zinv);
  sm2p256_wipe(t, sizeof t);
}

/* ---------------------------------------------------------------- fixed-base k·G */

/* out[i][j-1] = j·32^i·B (affine, Montgomery domain) for i < ROWS, 1 <= j <= COLS. B must have
 * order n (every point but the identity does); as n is prime and divides no j·32^i, no entry is
 * the identity. Returns 0 when memory runs out. */
static int build_table(affine (*out)[COLS], const proj *b) {
  const size_t count = (size_t)ROWS * COLS;
  proj base = *b, acc;
  proj *pts = (proj *)malloc(sizeof(proj) * count);
  fe *prefix = (fe *)malloc(sizeof(fe) * count);
  if (pts == NULL || prefix == NULL) {
    free(pts);
    free(prefix);
    return 0;
  }
  for (size_t i = 0; i < ROWS; i++) {
    acc = base;
    pts[i * COLS] = base;
    for (size_t j = 1; j < COLS; j++) {
      pt_add(&acc, &acc, &base);
      pts[i * COLS + j] = acc;
    }
    pt_dbl(&base, &acc); /* 32·base = 2·(16·base) */
  }
  /* One inversion for all the points (Montgomery's trick). */
  memcpy(prefix[0], pts[0].Z, sizeof(fe));
  for (size_t i = 1; i < count; i++) fp_mul(prefix[i], prefix[i - 1], pts[i].Z);
  fe inv, zinv;
  mod_inv(inv, prefix[count - 1], &MOD_P);
  for (size_t i = count; i-- > 0;) {
    if (i > 0) {
      fp_mul(zinv, inv, prefix[i - 1]);
      fp_mul(inv, inv, pts[i].Z);
    } else {
      memcpy(zinv, inv, sizeof zinv);
    }
    affine *a = &out[i / COLS][i % COLS];
    fp_mul(a->x, pts[i].X, zinv);
    fp_mul(a->y, pts[i].Y, zinv);
  }
  free(pts);
  free(prefix);
  return 1;
}

static void build_g_table(void) {
  proj g;
  to_mont(g.X, GX_LIMBS, &MOD_P);
  to_mont(g.Y, GY_LIMBS, &MOD_P);
  memcpy(g.Z, MOD_P.one, sizeof g.Z);
  if (!build_table(G_TABLE, &g)) abort(); /* ~110 KB of scratch once at load; nothing else to do */
}

/*
 * k = sum of d_i·32^i, d_i in [-16, 16], i < ROWS, as magnitude |d_i| and a sign mask (all ones
 * when d_i < 0). Window i holds bits 5i..5i+4 plus the carry c from below: v in [0, 32]; v > 16
 * becomes v - 32 with carry 1. Branch-free: the only branches test the public bit position. The
 * last window holds bit 255 alone, so no carry is left over.
 */
static void recode5(u64 mag[ROWS], u64 neg[ROWS], const u64 k[4]) {
  u64 carry = 0;
  for (unsigned i = 0; i < ROWS; i++) {
    unsigned bit = 5 * i, limb = bit / 64, off = bit % 64;
    u64 w = limb < 4 ? k[limb] >> off : 0;
    if (off > 59 && limb + 1 < 4) w |= k[limb + 1] << (64 - off);
    u64 v = (w & 31) + carry;
    carry = (v + 15) >> 5;
    u64 m = 0 - carry;
    mag[i] = (v & ~m) | ((32 - v) & m);
    neg[i] = m;
  }
}

/* R = k·G for any 256-bit k (limbs), constant time in k. */
static void mul_base(proj *R, const u64 k[4]) {
  static const u64 ZERO[4] = {0, 0, 0, 0};
  u64 mag[ROWS], neg[ROWS];
  proj acc, sum;
  affine q;
  fe ny;
  recode5(mag, neg, k);
  proj_identity(&acc);
  for (int i = 0; i < ROWS; i++) {
    memset(&q, 0, sizeof q);
    for (int j = 0; j < COLS; j++) {
      u64 mask = eq_mask(mag[i], (u64)(j + 1));
      const affine *e = &G_TABLE[i][j];
      for (int l = 0; l < 4; l++) {
        q.x[l] |= e->x[l] & mask;
        q.y[l] |= e->y[l] & mask;
      }
    }
    fp_sub(ny, ZERO, q.y);
    select4(q.y, neg[i], ny, q.y);
    /* For digit 0, q is (0, 0) and the sum is discarded below; the work is done all the same. */
    pt_madd(&sum, &acc, &q);
    u64 keep = ~eq_mask(mag[i], 0);
    select4(acc.X, keep, sum.X, acc.X);
    select4(acc.Y, keep, sum.Y, acc.Y);
    select4(acc.Z, keep, sum.Z, acc.Z);
  }
  *R = acc;
  sm2p256_wipe(&acc, sizeof acc);
  sm2p256_wipe(&sum, sizeof sum);
  sm2p256_wipe(&q, sizeof q);
  sm2p256_wipe(ny, sizeof ny);
  sm2p256_wipe(mag, sizeof mag);
  sm2p256_wipe(neg, sizeof neg);
}

/* ---------------------------------------------------------------- public scalars (variable time) */

/* acc += k·B with B's table, reading the table directly by digit: for public k only. */
static void comb_add_var(proj *acc, const affine (*tab)[COLS], const u64 k[4]) {
  static const u64 ZERO[4] = {0, 0, 0, 0};
  u64 mag[ROWS], neg[ROWS];
  recode5(mag, neg, k);
  for (int i = 0; i < ROWS; i++) {
    if (mag[i] == 0) continue;
    const affine *e = &tab[i][mag[i] - 1];
    if (neg[i] == 0) {
      pt_madd(acc, acc, e);
    } else {
      affine q = *e;
      fp_sub(q.y, ZERO, e->y);
      pt_madd(acc, acc, &q);
    }
  }
}

struct sm2p256_table {
  affine t[ROWS][COLS];
};

sm2p256_table *sm2p256_table_new(const sm2p256_point *p) {
  proj b;
  sm2p256_table *tab = (sm2p256_table *)malloc(sizeof *tab);
  if (tab == NULL) return NULL;
  memcpy(b.X, p->x, sizeof b.X);
  memcpy(b.Y, p->y, sizeof b.Y);
  memcpy(b.Z, MOD_P.one, sizeof b.Z);
  if (!build_table(tab->t, &b)) {
    free(tab);
    return NULL;
  }
  return tab;
}

void sm2p256_table_free(sm2p256_table *tab) { free(tab); }

/* Width-5 NAF of a 256-bit k: digits odd in [-15, 15] or 0; returns the digit count (<= 257). */
static int wnaf5(int8_t naf[260], const u64 k[4]) {
  u64 v[5] = {k[0], k[1], k[2], k[3], 0};
  int len = 0;
  while ((v[0] | v[1] | v[2] | v[3] | v[4]) != 0) {
    int d = 0;
    if (v[0] & 1) {
      d = (int)(v[0] & 31);
      if (d >= 16) d -= 32;
      u128 c;
      if (d > 0) {
        u64 borrow = (u64)d;
        for (int i = 0; i < 5; i++) {
          c = (u128)v[i] - borrow;
          v[i] = (u64)c;
          borrow = (u64)(c >> 64) & 1;
        }
      } else {
        u64 carry = (u64)(-d);
        for (int i = 0; i < 5; i++) {
          c = (u128)v[i] + carry;
          v[i] = (u64)c;
          carry = (u64)(c >> 64);
        }
      }
    }
    naf[len++] = (int8_t)d;
    for (int i = 0; i < 4; i++) v[i] = (v[i] >> 1) | (v[i + 1] << 63);
    v[4] >>= 1;
  }
  return len;
}

/*
 * Jacobian coordinates (x = X/Z^2, y = Y/Z^3, Z = 0 the identity) for the variable-base ladder
 * only: public scalar, public point, so the special cases may be branches. The a = -3 doubling
 * costs 3M + 5S against the complete formula's 8M + 3S, and the ladder is mostly doublings.
 */
typedef proj jac; /* same three coordinates, different meaning */

static inline int fe_is_zero(const fe a) { return (a[0] | a[1] | a[2] | a[3]) == 0; }

/* dbl-2001-b (a = -3). R may alias P; the identity stays the identity (Z3 = 2·Y·Z = 0). */
static void jac_dbl(jac *R, const jac *P) {
  fe delta, gamma, beta, alpha, t0, t1;
  fp_mul(delta, P->Z, P->Z);
  fp_mul(gamma, P->Y, P->Y);
  fp_mul(beta, P->X, gamma);
  fp_sub(t0, P->X, delta);
  fp_add(t1, P->X, delta);
  fp_mul(alpha, t0, t1);
  fp_add(t0, alpha, alpha);
  fp_add(alpha, alpha, t0); /* alpha = 3 (X - delta)(X + delta) */
  fp_add(t0, P->Y, P->Z);
  fp_mul(t0, t0, t0);
  fp_sub(t0, t0, gamma);
  fp_sub(R->Z, t0, delta); /* Z3 = (Y + Z)^2 - gamma - delta; P->Y, P->Z no longer needed */
  fp_add(beta, beta, beta);
  fp_add(beta, beta, beta); /* 4 beta */
  fp_mul(t0, alpha, alpha);
  fp_add(t1, beta, beta);
  fp_sub(R->X, t0, t1); /* X3 = alpha^2 - 8 beta */
  fp_sub(t0, beta, R->X);
  fp_mul(t0, alpha, t0);
  fp_mul(t1, gamma, gamma);
  fp_add(t1, t1, t1);
  fp_add(t1, t1, t1);
  fp_add(t1, t1, t1); /* 8 gamma^2 */
  fp_sub(R->Y, t0, t1);
}

/* add-2007-bl with the exceptional cases handled. R may alias P or Q. */
static void jac_add(jac *R, const jac *P, const jac *Q) {
  if (fe_is_zero(P->Z)) {
    *R = *Q;
    return;
  }
  if (fe_is_zero(Q->Z)) {
    *R = *P;
    return;
  }
  fe z1z1, z2z2, u1, u2, s1, s2, h, r, i, j, v, t0;
  fp_mul(z1z1, P->Z, P->Z);
  fp_mul(z2z2, Q->Z, Q->Z);
  fp_mul(u1, P->X, z2z2);
  fp_mul(u2, Q->X, z1z1);
  fp_mul(s1, P->Y, Q->Z);
  fp_mul(s1, s1, z2z2);
  fp_mul(s2, Q->Y, P->Z);
  fp_mul(s2, s2, z1z1);
  fp_sub(h, u2, u1);
  fp_sub(r, s2, s1);
  if (fe_is_zero(h)) {
    if (fe_is_zero(r)) {
      jac_dbl(R, P); /* P = Q */
    } else {
      memset(R, 0, sizeof *R); /* P = -Q */
      memcpy(R->X, MOD_P.one, sizeof R->X);
      memcpy(R->Y, MOD_P.one, sizeof R->Y);
    }
    return;
  }
  fp_add(r, r, r);
  fp_add(i, h, h);
  fp_mul(i, i, i);
  fp_mul(j, h, i);
  fp_mul(v, u1, i);
  fe x3, y3, z3;
  fp_mul(x3, r, r);
  fp_sub(x3, x3, j);
  fp_sub(x3, x3, v);
  fp_sub(x3, x3, v);
  fp_sub(t0, v, x3);
  fp_mul(y3, r, t0);
  fp_mul(t0, s1, j);
  fp_add(t0, t0, t0);
  fp_sub(y3, y3, t0);
  fp_add(z3, P->Z, Q->Z);
  fp_mul(z3, z3, z3);
  fp_sub(z3, z3, z1z1);
  fp_sub(z3, z3, z2z2);
  fp_mul(z3, z3, h);
  memcpy(R->X, x3, sizeof x3);
  memcpy(R->Y, y3, sizeof y3);
  memcpy(R->Z, z3, sizeof z3);
}

/* R = k·P (projective out; P projective with Z = 1); variable time, for public k and P only. */
static void mul_var(proj *R, const u64 k[4], const proj *P) {
  jac tab[8], twice, acc, neg;
  int8_t naf[260];
  static const u64 ZERO[4] = {0, 0, 0, 0};
  tab[0] = *P; /* Z = 1: the same point in Jacobian coordinates */
  jac_dbl(&twice, &tab[0]);
  for (int i = 1; i < 8; i++) jac_add(&tab[i], &tab[i - 1], &twice);
  int len = wnaf5(naf, k);
  memset(&acc, 0, sizeof acc);
  memcpy(acc.X, MOD_P.one, sizeof acc.X);
  memcpy(acc.Y, MOD_P.one, sizeof acc.Y);
  for (int i = len - 1; i >= 0; i--) {
    jac_dbl(&acc, &acc);
    int d = naf[i];
    if (d > 0) {
      jac_add(&acc, &acc, &tab[(d - 1) / 2]);
    } else if (d < 0) {
      neg = tab[(-d - 1) / 2];
      fp_sub(neg.Y, ZERO, neg.Y);
      jac_add(&acc, &acc, &neg);
    }
  }
  /* Jacobian (X, Y, Z) is projective (X·Z, Y, Z^3). */
  if (fe_is_zero(acc.Z)) {
    proj_identity(R);
    return;
  }
  fe z2;
  fp_mul(R->X, acc.X, acc.Z);
  memcpy(R->Y, acc.Y, sizeof R->Y);
  fp_mul(z2, acc.Z, acc.Z);
  fp_mul(R->Z, z2, acc.Z);
}

static void proj_from_point(proj *r, const sm2p256_point *p) {
  memcpy(r->X, p->x, sizeof r->X);
  memcpy(r->Y, p->y, sizeof r->Y);
  memcpy(r->Z, MOD_P.one, sizeof r->Z);
}

/* ---------------------------------------------------------------- public API */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_tables(void) {
  modulus_init(&MOD_P, P_LIMBS);
  modulus_init(&MOD_N, N_LIMBS);
  to_mont(B_MONT, B_LIMBS, &MOD_P);
  build_g_table();
}

void sm2p256_init(void) { pthread_once(&init_once, init_tables); }

int sm2p256_point_from_bytes(sm2p256_point *out, const uint8_t xb[32], const uint8_t yb[32]) {
  u64 x[4], y[4], t[4];
  fe xm, ym, lhs, rhs, three_x;
  limbs_from_be(x, xb);
  limbs_from_be(y, yb);
  if (sub4(t, x, P_LIMBS) == 0 || sub4(t, y, P_LIMBS) == 0) return 0; /* coordinate >= p */
  to_mont(xm, x, &MOD_P);
  to_mont(ym, y, &MOD_P);
  fp_mul(lhs, ym, ym);
  fp_mul(rhs, xm, xm);
  fp_mul(rhs, rhs, xm);
  fp_add(three_x, xm, xm);
  fp_add(three_x, three_x, xm);
  fp_sub(rhs, rhs, three_x);
  fp_add(rhs, rhs, B_MONT);
  if (memcmp(lhs, rhs, sizeof lhs) != 0) return 0;
  memcpy(out->x, xm, sizeof xm);
  memcpy(out->y, ym, sizeof ym);
  return 1;
}

int sm2p256_scalar_in_range(const uint8_t kb[32]) {
  u64 k[4], t[4];
  limbs_from_be(k, kb);
  u64 below_n = sub4(t, k, N_LIMBS); /* 1 when k < n */
  u64 ok = below_n & ~is_zero_mask(k) & 1;
  sm2p256_wipe(k, sizeof k);
  sm2p256_wipe(t, sizeof t);
  return (int)ok;
}

int sm2p256_private_from_bytes(sm2p256_scalar_key *key, uint8_t pub_x[32], uint8_t pub_y[32],
                               const uint8_t db[32]) {
  static const u64 ONE[4] = {1, 0, 0, 0};
  u64 d[4], d1[4], t[4], x[4], y[4];
  proj P;
  limbs_from_be(d, db);
  u64 carry = add4(d1, d, ONE);
  /* d in [1, n-2]  <=>  d != 0 and d + 1 < n (without overflow). */
  u64 ok = ~is_zero_mask(d) & (0 - (sub4(t, d1, N_LIMBS) & (carry ^ 1)));
  to_mont(t, d1, &MOD_N);
  mod_inv(key->dinv_mont, t, &MOD_N);
  memcpy(key->d, d, sizeof d);
  mul_base(&P, d);
  proj_to_affine_limbs(x, y, &P);
  limbs_to_be(pub_x, x);
  limbs_to_be(pub_y, y);
  sm2p256_wipe(d, sizeof d);
  sm2p256_wipe(d1, sizeof d1);
  sm2p256_wipe(t, sizeof t);
  sm2p256_wipe(&P, sizeof P);
  return (int)(ok & 1);
}

int sm2p256_sign_digest(const sm2p256_scalar_key *key, const uint8_t eb[32], const uint8_t kb[32],
                        uint8_t r_out[32], uint8_t s_out[32]) {
  u64 k[4], e[4], x1[4], r[4], rk[4], s[4];
  proj R;
  limbs_from_be(k, kb);
  limbs_from_be(e, eb);
  mul_base(&R, k);
  proj_to_affine_limbs(x1, NULL, &R);
  reduce_once(e, e, N_LIMBS);   /* e < 2^256 < 2n */
  reduce_once(x1, x1, N_LIMBS); /* x1 < p < 2n */
  mod_add(r, e, x1, N_LIMBS);
  mod_add(rk, r, k, N_LIMBS);
  /* s = (1+d)^-1 (k + r) - r: dinv is in the Montgomery domain, so one product leaves it. */
  fn_mul(s, key->dinv_mont, rk);
  mod_sub(s, s, r, N_LIMBS);
  u64 ok = ~is_zero_mask(r) & ~is_zero_mask(rk) & ~is_zero_mask(s);
  limbs_to_be(r_out, r);
  limbs_to_be(s_out, s);
  sm2p256_wipe(k, sizeof k);
  sm2p256_wipe(x1, sizeof x1);
  sm2p256_wipe(rk, sizeof rk);
  sm2p256_wipe(s, sizeof s);
  sm2p256_wipe(&R, sizeof R);
  return (int)(ok & 1);
}

/* 1 when 1 <= a < n (public values). */
static int in_scalar_range(const u64 a[4]) {
  u64 t[4];
  return (a[0] | a[1] | a[2] | a[3]) != 0 && sub4(t, a, N_LIMBS) == 1;
}

/* S = u·G + t·P, from P's table when there is one (public scalars). */
static void mul_add_var(proj *S, const u64 u[4], const u64 t[4], const sm2p256_point *p, const sm2p256_table *tab) {
  proj_identity(S);
  comb_add_var(S, (const affine(*)[COLS])G_TABLE, u);
  if (tab != NULL) {
    comb_add_var(S, tab->t, t);
  } else {
    proj Pp, B;
    proj_from_point(&Pp, p);
    mul_var(&B, t, &Pp);
    pt_add(S, S, &B);
  }
}

int sm2p256_verify_digest(const sm2p256_point *pub, const sm2p256_table *tab, const uint8_t eb[32],
                          const uint8_t rb[32], const uint8_t sb[32]) {
  u64 e[4], r[4], s[4], t[4], c[4], cm[4], lhs[4];
  proj S;
  limbs_from_be(e, eb);
  limbs_from_be(r, rb);
  limbs_from_be(s, sb);
  if (!in_scalar_range(r) || !in_scalar_range(s)) return 0;
  mod_add(t, r, s, N_LIMBS);
  if ((t[0] | t[1] | t[2] | t[3]) == 0) return 0;
  mul_add_var(&S, s, t, pub, tab);
  if ((S.Z[0] | S.Z[1] | S.Z[2] | S.Z[3]) == 0) return 0; /* point at infinity */
  /*
   * Valid when (e + x1) mod n = r, x1 = X/Z in [0, p). So x1 ≡ r - e (mod n), and as p < 2n the
   * candidates are c = (r - e) mod n and c + n when below p. X = c·Z avoids an inversion.
   */
  reduce_once(e, e, N_LIMBS);
  mod_sub(c, r, e, N_LIMBS);
  to_mont(cm, c, &MOD_P);
  fp_mul(lhs, cm, S.Z);
  if (memcmp(lhs, S.X, sizeof lhs) == 0) return 1;
  u64 c2[4], tmp[4];
  if (add4(c2, c, N_LIMBS) == 0 && sub4(tmp, c2, P_LIMBS) == 1) {
    to_mont(cm, c2, &MOD_P);
    fp_mul(lhs, cm, S.Z);
    if (memcmp(lhs, S.X, sizeof lhs) == 0) return 1;
  }
  return 0;
}

static int affine_out(uint8_t xb[32], uint8_t yb[32], const proj *P) {
  u64 x[4], y[4];
  if ((P->Z[0] | P->Z[1] | P->Z[2] | P->Z[3]) == 0) return 0;
  proj_to_affine_limbs(x, y, P);
  limbs_to_be(xb, x);
  limbs_to_be(yb, y);
  return 1;
}

int sm2p256_mul_base_public(uint8_t x[32], uint8_t y[32], const uint8_t kb[32]) {
  u64 k[4];
  proj R;
  limbs_from_be(k, kb);
  mul_base(&R, k);
  return affine_out(x, y, &R);
}

int sm2p256_mul_add_public(uint8_t x[32], uint8_t y[32], const uint8_t ub[32], const uint8_t tb[32],
                           const sm2p256_point *p, const sm2p256_table *tab) {
  u64 u[4], t[4];
  proj S;
  limbs_from_be(u, ub);
  limbs_from_be(t, tb);
  mul_add_var(&S, u, t, p, tab);
  return affine_out(x, y, &S);
}
