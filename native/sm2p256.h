/*
 * SM2 curve arithmetic (GB/T 32918.5 recommended curve, a = -3) with 4 x 64-bit limbs.
 *
 * Plain C11 with unsigned __int128, no OpenSSL dependency and no assembly, so it builds the same
 * on x86-64 and aarch64. Everything that touches a secret scalar (signing, the private key's
 * (1+d)^-1) runs in constant time: no branch and no memory index depends on k or d. The
 * verification path handles public data only and may branch on it.
 *
 * All byte strings are big-endian, 32 bytes per scalar or coordinate.
 */
#ifndef ROADCERT_SM2P256_H
#define ROADCERT_SM2P256_H

#include <stddef.h>
#include <stdint.h>

/* Builds the fixed-base table of G. Idempotent and thread-safe (pthread_once); call it once
 * before any other function, e.g. at addon load. */
void sm2p256_init(void);

/* A validated public point, coordinates kept in the Montgomery domain mod p. */
typedef struct {
  uint64_t x[4];
  uint64_t y[4];
} sm2p256_point;

/* Private key material: d, and (1 + d)^-1 mod n in Montgomery form mod n. Secret. */
typedef struct {
  uint64_t d[4];
  uint64_t dinv_mont[4];
} sm2p256_scalar_key;

/* 1 if x, y < p and y^2 = x^3 - 3x + b (the curve has cofactor 1, so that is the group). */
int sm2p256_point_from_bytes(sm2p256_point *out, const uint8_t x[32], const uint8_t y[32]);

/* d must lie in [1, n-2]. Computes (1+d)^-1 and P = dG (constant time). Returns 0 when d is out
 * of range (checked in constant time; the result is then not meaningful). */
int sm2p256_private_from_bytes(sm2p256_scalar_key *key, uint8_t pub_x[32], uint8_t pub_y[32],
                               const uint8_t d[32]);

/* 1 when k (big-endian) lies in [1, n-1]; constant time. */
int sm2p256_scalar_in_range(const uint8_t k[32]);

/*
 * One signing attempt with nonce k in [1, n-1] (caller checked, from a CSPRNG):
 * r = (e + x(kG)) mod n, s = (1+d)^-1 (k + r) - r mod n. Returns 1 with r, s written,
 * or 0 when this k must be rejected (r = 0, r + k = n or s = 0) and another drawn.
 */
int sm2p256_sign_digest(const sm2p256_scalar_key *key, const uint8_t e[32], const uint8_t k[32],
                        uint8_t r_out[32], uint8_t s_out[32]);

/* A table of multiples of one public point (52 KB), the same layout as G's, for keys that
 * verify often: with it t·P costs about what u·G does. Immutable once built, so any number of
 * threads may read it. NULL when out of memory. */
typedef struct sm2p256_table sm2p256_table;
sm2p256_table *sm2p256_table_new(const sm2p256_point *p);
void sm2p256_table_free(sm2p256_table *tab);

/* GB/T 32918.2 verification of (r, s) on digest e: 1 valid, 0 invalid (r, s outside [1, n-1],
 * t = 0, sG + tP at infinity, or the x check fails). Variable time (public data). tab is
 * pub's table or NULL (then t·P uses a width-5 NAF). */
int sm2p256_verify_digest(const sm2p256_point *pub, const sm2p256_table *tab, const uint8_t e[32],
                          const uint8_t r[32], const uint8_t s[32]);

/* Public helpers (for tests): k·G (the constant-time signing path) and u·G + t·P (the
 * verification path, with or without P's table) for any 256-bit scalars. Return 1 with the
 * affine point written, 0 when the result is the point at infinity. */
int sm2p256_mul_base_public(uint8_t x[32], uint8_t y[32], const uint8_t k[32]);
int sm2p256_mul_add_public(uint8_t x[32], uint8_t y[32], const uint8_t u[32], const uint8_t t[32],
                           const sm2p256_point *p, const sm2p256_table *tab);

/* Wipes memory in a way the compiler may not drop. */
void sm2p256_wipe(void *p, size_t len);

#endif
