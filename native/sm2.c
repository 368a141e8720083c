/*
 * roadcert SM2 addon: GB/T 32918 signatures with SM3 and the default distinguishing ID
 * "1234567812345678" (GM/T 0009), computed by the OpenSSL 3.0 that is linked into Node.
 *
 * Why an addon: node:crypto has no way to set the SM2 ID, so crypto.sign() produces
 * signatures with an empty ID (or plain ECDSA on the SM2 curve) that other GM/T software
 * rejects. EVP_PKEY_CTX_set1_id() fixes that, and it is one call away in C.
 *
 * The curve arithmetic of sign and verify is our own (sm2p256.c): OpenSSL 3.0 has no optimised
 * SM2 code and its generic BIGNUM ladder is 5-10 times slower. OpenSSL still parses and checks
 * keys, supplies SM3 and the nonces (RAND_priv_bytes), and its EVP sign/verify stay reachable
 * as signOpenssl/verifyOpenssl: the independent check for the tests and the bench.
 *
 * Keys live in native memory behind napi externals; JavaScript never gets the private
 * scalar back from a handle. Every OpenSSL return value is checked and a failure becomes
 * an Error naming the step, with the OpenSSL error queue drained so that a stale entry
 * never leaks into a later, unrelated call on the same thread.
 */
#include <node_api.h>

#include "sm2p256.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SM2_PRIV_LEN 32
#define SM2_PUB_LEN 65
/* DER SEQUENCE of two INTEGERs of at most 33 bytes each: 2 + 2 * (2 + 33) = 72. */
#define SM2_SIG_MAX 72
#define ERR_BUF_LEN 320

static const char SM2_DEFAULT_ID[] = "1234567812345678";
#define SM2_DEFAULT_ID_LEN 16

/* Guards against a foreign external being passed in where one of ours is expected. */
#define KEY_MAGIC 0x524f4453u /* "RODS" */

/*
 * One imported key. Reference-counted: the napi finalizer drops one reference and every async
 * job holds one while it runs, so a key collected by JS mid-job stays valid until the job ends.
 * The scalar material (priv) is cleansed before the memory is freed.
 */
typedef struct {
  uint32_t magic;
  int is_private;
  atomic_int refs;
  EVP_PKEY *pkey;            /* OpenSSL's view of the key: signOpenssl/verifyOpenssl */
  sm2p256_point pub;         /* validated public point */
  sm2p256_scalar_key priv;   /* d and (1+d)^-1 mod n; private keys only */
  unsigned char za[32];      /* Z_A for the default ID */
  /* Multiples of pub, built by the TABLE_AFTER_VERIFIES-th verification (then read-only). */
  _Atomic(sm2p256_table *) table;
  atomic_uint verifies;
} key_handle;

/*
 * A public key that has verified this many signatures gets its own table (52 KB, about the cost
 * of 4-5 verifications to build), which makes each later verification about twice as fast.
 * Verifiers see few distinct keys (seal certificates), and sm2.ts keeps parsed keys in an LRU of
 * 128, so at most about 7 MB of tables live at once.
 */
#define TABLE_AFTER_VERIFIES 8u

/* SM3, fetched once per process (thread-safe to share once fetched). */
static EVP_MD *g_sm3 = NULL;
static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
static void global_init(void) {
  sm2p256_init();
  g_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
}

/* ---------------------------------------------------------------- errors */

/* Formats "step failed: <first OpenSSL error>" and empties this thread's error queue. */
static void take_ossl_error(char *buf, size_t len, const char *step) {
  unsigned long e = ERR_get_error();
  char detail[256] = "";
  if (e != 0) ERR_error_string_n(e, detail, sizeof detail);
  snprintf(buf, len, "%s failed%s%s", step, e != 0 ? ": " : "", detail);
  ERR_clear_error();
}

static napi_value throw_ossl(napi_env env, const char *step) {
  char msg[ERR_BUF_LEN];
  take_ossl_error(msg, sizeof msg, step);
  napi_throw_error(env, "ERR_SM2_OPENSSL", msg);
  return NULL;
}

static napi_value throw_arg(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_SM2_INVALID_ARG", msg);
  return NULL;
}

/* A failing napi_* call has already set a pending exception in most cases; make sure. */
#define NAPI_CALL(env, call)                                         \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      bool pending_ = false;                                         \
      napi_is_exception_pending((env), &pending_);                   \
      if (!pending_) napi_throw_error((env), NULL, "N-API: " #call); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

/* ---------------------------------------------------------------- argument helpers */

/* Reads a Uint8Array (Buffer included). Empty arrays get a non-NULL pointer because
 * OpenSSL treats NULL data as "no input" in some paths. */
static int get_bytes(napi_env env, napi_value v, const unsigned char **data, size_t *len) {
  static const unsigned char empty = 0;
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array && type != napi_uint8_clamped_array) return 0;
  *data = ptr != NULL ? (const unsigned char *)ptr : &empty;
  *len = length;
  return 1;
}

static key_handle *get_key(napi_env env, napi_value v, int want_private) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) return NULL;
  key_handle *h = (key_handle *)p;
  if (h->magic != KEY_MAGIC || h->pkey == NULL) return NULL;
  if (want_private && !h->is_private) return NULL;
  return h;
}

static void key_ref(key_handle *h) { atomic_fetch_add(&h->refs, 1); }

static void key_unref(key_handle *h) {
  if (atomic_fetch_sub(&h->refs, 1) != 1) return;
  sm2p256_table_free(atomic_load(&h->table));
  EVP_PKEY_free(h->pkey);
  h->magic = 0;
  OPENSSL_cleanse(h, sizeof *h);
  free(h);
}

static void key_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  key_unref((key_handle *)data);
}

static const unsigned char SM2_CURVE_ABGXY[128] = {
    /* a */
    0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC,
    /* b */
    0x28, 0xE9, 0xFA, 0x9E, 0x9D, 0x9F, 0x5E, 0x34, 0x4D, 0x5A, 0x9E, 0x4B, 0xCF, 0x65, 0x09, 0xA7,
    0xF3, 0x97, 0x89, 0xF5, 0x15, 0xAB, 0x8F, 0x92, 0xDD, 0xBC, 0xBD, 0x41, 0x4D, 0x94, 0x0E, 0x93,
    /* Gx */
    0x32, 0xC4, 0xAE, 0x2C, 0x1F, 0x19, 0x81, 0x19, 0x5F, 0x99, 0x04, 0x46, 0x6A, 0x39, 0xC9, 0x94,
    0x8F, 0xE3, 0x0B, 0xBF, 0xF2, 0x66, 0x0B, 0xE1, 0x71, 0x5A, 0x45, 0x89, 0x33, 0x4C, 0x74, 0xC7,
    /* Gy */
    0xBC, 0x37, 0x36, 0xA2, 0xF4, 0xF6, 0x77, 0x9C, 0x59, 0xBD, 0xCE, 0xE3, 0x6B, 0x69, 0x21, 0x53,
    0xD0, 0xA9, 0x87, 0x7C, 0xC6, 0x2A, 0x47, 0x40, 0x02, 0xDF, 0x32, 0xE5, 0x21, 0x39, 0xF0, 0xA0,
};

/* Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ xA ‖ yA) for the default ID (GB/T 32918.2 §5.5). */
static int compute_za(unsigned char za[32], const unsigned char pub[SM2_PUB_LEN], char *err, size_t errlen) {
  unsigned char buf[2 + SM2_DEFAULT_ID_LEN + 128 + 64];
  unsigned int outlen = 0;
  buf[0] = (unsigned char)((SM2_DEFAULT_ID_LEN * 8) >> 8);
  buf[1] = (unsigned char)(SM2_DEFAULT_ID_LEN * 8);
  memcpy(buf + 2, SM2_DEFAULT_ID, SM2_DEFAULT_ID_LEN);
  memcpy(buf + 2 + SM2_DEFAULT_ID_LEN, SM2_CURVE_ABGXY, 128);
  memcpy(buf + 2 + SM2_DEFAULT_ID_LEN + 128, pub + 1, 64);
  if (g_sm3 == NULL || EVP_Digest(buf, sizeof buf, za, &outlen, g_sm3, NULL) != 1 || outlen != 32) {
    take_ossl_error(err, errlen, "EVP_Digest(SM3, Z_A)");
    return 0;
  }
  return 1;
}

/*
 * Takes ownership of pkey (freed on failure too). pub is the 65-byte point OpenSSL accepted; d
 * (private keys only) the scalar. Our own arithmetic recomputes dG, which must equal OpenSSL's
 * point, and checks the point on the curve again: a disagreement refuses the key.
 */
static napi_value wrap_key(napi_env env, EVP_PKEY *pkey, int is_private, const unsigned char *d,
                           const unsigned char pub[SM2_PUB_LEN]) {
  char err[ERR_BUF_LEN];
  key_handle *h = (key_handle *)calloc(1, sizeof *h);
  if (h == NULL) {
    EVP_PKEY_free(pkey);
    napi_throw_error(env, "ERR_SM2_OOM", "out of memory");
    return NULL;
  }
  h->magic = KEY_MAGIC;
  h->is_private = is_private;
  atomic_init(&h->refs, 1);
  atomic_init(&h->table, NULL);
  atomic_init(&h->verifies, 0);
  h->pkey = pkey;
  if (!sm2p256_point_from_bytes(&h->pub, pub + 1, pub + 33)) {
    key_unref(h);
    napi_throw_error(env, "ERR_SM2_KEY", "public key is not a point on the SM2 curve");
    return NULL;
  }
  if (is_private) {
    unsigned char x[32], y[32];
    int in_range = sm2p256_private_from_bytes(&h->priv, x, y, d);
    int same = CRYPTO_memcmp(x, pub + 1, 32) == 0 && CRYPTO_memcmp(y, pub + 33, 32) == 0;
    if (!in_range || !same) {
      key_unref(h);
      napi_throw_error(env, in_range ? "ERR_SM2_SELFTEST" : "ERR_SM2_KEY",
                       in_range ? "SM2 self-check failed: dG differs from OpenSSL's public key"
                                : "private key out of range: d must be in [1, n-2]");
      return NULL;
    }
  }
  if (!compute_za(h->za, pub, err, sizeof err)) {
    key_unref(h);
    napi_throw_error(env, "ERR_SM2_OPENSSL", err);
    return NULL;
  }
  napi_value ext;
  if (napi_create_external(env, h, key_finalize, NULL, &ext) != napi_ok) {
    key_unref(h);
    napi_throw_error(env, NULL, "napi_create_external failed");
    return NULL;
  }
  return ext;
}

/* ---------------------------------------------------------------- key construction */

/* Builds an SM2 EVP_PKEY from OSSL_PARAMs (group "SM2" plus key material). */
static EVP_PKEY *pkey_fromdata(OSSL_PARAM *params, int selection, char *err, size_t errlen) {
  EVP_PKEY *pkey = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
  if (ctx == NULL) {
    take_ossl_error(err, errlen, "EVP_PKEY_CTX_new_from_name(SM2)");
    return NULL;
  }
  if (EVP_PKEY_fromdata_init(ctx) != 1) {
    take_ossl_error(err, errlen, "EVP_PKEY_fromdata_init");
  } else if (EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1) {
    take_ossl_error(err, errlen, "EVP_PKEY_fromdata");
    pkey = NULL;
  }
  EVP_PKEY_CTX_free(ctx);
  return pkey;
}

/*
 * Private key from the raw 32-byte scalar d. SM2 signing needs the public point too (it is
 * hashed into Z_A), so P = dG is computed here and returned through pub_out. d must lie in
 * [1, n-2]: GB/T 32918 uses (1 + d)^-1, which does not exist for d = n-1.
 */
static EVP_PKEY *private_from_scalar(const unsigned char d[SM2_PRIV_LEN], unsigned char pub_out[SM2_PUB_LEN],
                                     char *err, size_t errlen) {
  EVP_PKEY *pkey = NULL;
  EC_GROUP *group = NULL;
  EC_POINT *point = NULL;
  BIGNUM *bn_d = NULL, *limit = NULL;
  OSSL_PARAM_BLD *bld = NULL;
  OSSL_PARAM *params = NULL;

  group = EC_GROUP_new_by_curve_name(NID_sm2);
  if (group == NULL) {
    take_ossl_error(err, errlen, "EC_GROUP_new_by_curve_name(sm2)");
    goto done;
  }
  /* Secure BIGNUM: OSSL_PARAM_BLD then keeps its copy in memory that is cleansed on free. */
  bn_d = BN_secure_new();
  limit = BN_new();
  if (bn_d == NULL || limit == NULL || BN_bin2bn(d, SM2_PRIV_LEN, bn_d) == NULL) {
    take_ossl_error(err, errlen, "BN_bin2bn");
    goto done;
  }
  BN_set_flags(bn_d, BN_FLG_CONSTTIME);
  if (BN_copy(limit, EC_GROUP_get0_order(group)) == NULL || !BN_sub_word(limit, 1)) {
    take_ossl_error(err, errlen, "BN_sub_word");
    goto done;
  }
  if (BN_is_zero(bn_d) || BN_cmp(bn_d, limit) >= 0) {
    snprintf(err, errlen, "private key out of range: d must be in [1, n-2]");
    goto done;
  }
  point = EC_POINT_new(group);
  if (point == NULL || EC_POINT_mul(group, point, bn_d, NULL, NULL, NULL) != 1) {
    take_ossl_error(err, errlen, "EC_POINT_mul");
    goto done;
  }
  if (EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub_out, SM2_PUB_LEN, NULL) !=
      SM2_PUB_LEN) {
    take_ossl_error(err, errlen, "EC_POINT_point2oct");
    goto done;
  }
  bld = OSSL_PARAM_BLD_new();
  if (bld == NULL || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn_d) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub_out, SM2_PUB_LEN) != 1) {
    take_ossl_error(err, errlen, "OSSL_PARAM_BLD_push");
    goto done;
  }
  params = OSSL_PARAM_BLD_to_param(bld);
  if (params == NULL) {
    take_ossl_error(err, errlen, "OSSL_PARAM_BLD_to_param");
    goto done;
  }
  pkey = pkey_fromdata(params, EVP_PKEY_KEYPAIR, err, errlen);

done:
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EC_POINT_free(point);
  BN_clear_free(bn_d);
  BN_free(limit);
  EC_GROUP_free(group);
  return pkey;
}

/* Public key from the 65-byte uncompressed point; OpenSSL rejects points off the curve. */
static EVP_PKEY *public_from_point(const unsigned char *pub, size_t len, char *err, size_t errlen) {
  EVP_PKEY *pkey = NULL;
  OSSL_PARAM_BLD *bld = NULL;
  OSSL_PARAM *params = NULL;
  if (len != SM2_PUB_LEN || pub[0] != 0x04) {
    snprintf(err, errlen, "public key must be a 65-byte uncompressed point (04 || x || y)");
    return NULL;
  }
  bld = OSSL_PARAM_BLD_new();
  if (bld == NULL || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, len) != 1) {
    take_ossl_error(err, errlen, "OSSL_PARAM_BLD_push");
    goto done;
  }
  params = OSSL_PARAM_BLD_to_param(bld);
  if (params == NULL) {
    take_ossl_error(err, errlen, "OSSL_PARAM_BLD_to_param");
    goto done;
  }
  pkey = pkey_fromdata(params, EVP_PKEY_PUBLIC_KEY, err, errlen);
done:
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return pkey;
}

/* ---------------------------------------------------------------- sign / verify cores */

/* OpenSSL's own SM2 (signOpenssl/verifyOpenssl). Thread-safe: each call has its own
 * EVP_MD_CTX; the shared EVP_PKEY is only read. */
static int sm2_sign_openssl(EVP_PKEY *pkey, const unsigned char *data, size_t len, unsigned char *sig,
                            size_t *siglen, char *err, size_t errlen) {
  int ok = 0;
  EVP_PKEY_CTX *pctx = NULL; /* owned by mctx */
  EVP_MD_CTX *mctx = EVP_MD_CTX_new();
  ERR_clear_error();
  if (mctx == NULL) {
    take_ossl_error(err, errlen, "EVP_MD_CTX_new");
    return 0;
  }
  if (EVP_DigestSignInit(mctx, &pctx, EVP_sm3(), NULL, pkey) != 1) {
    take_ossl_error(err, errlen, "EVP_DigestSignInit");
    goto done;
  }
  /* Must come before the first update: the provider hashes Z_A(ID) in on the first update. */
  if (EVP_PKEY_CTX_set1_id(pctx, SM2_DEFAULT_ID, SM2_DEFAULT_ID_LEN) <= 0) {
    take_ossl_error(err, errlen, "EVP_PKEY_CTX_set1_id");
    goto done;
  }
  *siglen = SM2_SIG_MAX;
  if (EVP_DigestSign(mctx, sig, siglen, data, len) != 1) {
    take_ossl_error(err, errlen, "EVP_DigestSign");
    goto done;
  }
  ok = 1;
done:
  EVP_MD_CTX_free(mctx);
  return ok;
}

/* Returns 1 valid, 0 invalid (including any malformed signature), -1 setup failure. */
static int sm2_verify_openssl(EVP_PKEY *pkey, const unsigned char *data, size_t len, const unsigned char *sig,
                              size_t siglen, char *err, size_t errlen) {
  int result = -1;
  EVP_PKEY_CTX *pctx = NULL;
  EVP_MD_CTX *mctx = NULL;
  ERR_clear_error();
  /* Anything longer than a maximal DER signature cannot be valid; skip the parser. */
  if (siglen == 0 || siglen > SM2_SIG_MAX) return 0;
  mctx = EVP_MD_CTX_new();
  if (mctx == NULL) {
    take_ossl_error(err, errlen, "EVP_MD_CTX_new");
    return -1;
  }
  if (EVP_DigestVerifyInit(mctx, &pctx, EVP_sm3(), NULL, pkey) != 1) {
    take_ossl_error(err, errlen, "EVP_DigestVerifyInit");
    goto done;
  }
  if (EVP_PKEY_CTX_set1_id(pctx, SM2_DEFAULT_ID, SM2_DEFAULT_ID_LEN) <= 0) {
    take_ossl_error(err, errlen, "EVP_PKEY_CTX_set1_id");
    goto done;
  }
  /* 1 = valid; 0 or negative = invalid or undecodable. A bad signature is an answer, not an error. */
  result = EVP_DigestVerify(mctx, sig, siglen, data, len) == 1 ? 1 : 0;
  ERR_clear_error();
done:
  EVP_MD_CTX_free(mctx);
  return result;
}

/* ---------------------------------------------------------------- our own sign / verify */

/* e = SM3(Z_A ‖ M). */
static int digest_e(const key_handle *h, const unsigned char *data, size_t len, unsigned char e[32], char *err,
                    size_t errlen) {
  unsigned int outlen = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx != NULL && g_sm3 != NULL && EVP_DigestInit_ex(ctx, g_sm3, NULL) == 1 &&
           EVP_DigestUpdate(ctx, h->za, sizeof h->za) == 1 && EVP_DigestUpdate(ctx, data, len) == 1 &&
           EVP_DigestFinal_ex(ctx, e, &outlen) == 1 && outlen == 32;
  if (!ok) take_ossl_error(err, errlen, "SM3 digest");
  EVP_MD_CTX_free(ctx);
  return ok;
}

/* DER INTEGER of a 32-byte unsigned big-endian value: minimal, 0x00 prefix when the top bit is set. */
static size_t der_put_uint(unsigned char *out, const unsigned char v[32]) {
  size_t i = 0;
  while (i < 31 && v[i] == 0) i++;
  size_t pad = (v[i] & 0x80) ? 1 : 0;
  size_t len = 32 - i + pad;
  out[0] = 0x02;
  out[1] = (unsigned char)len;
  out[2] = 0x00;
  memcpy(out + 2 + pad, v + i, 32 - i);
  return 2 + len;
}

/* DER SEQUENCE { r INTEGER, s INTEGER } exactly as OpenSSL's i2d_ECDSA_SIG writes it. */
static size_t der_put_sig(unsigned char out[SM2_SIG_MAX], const unsigned char r[32], const unsigned char s[32]) {
  size_t n = der_put_uint(out + 2, r);
  n += der_put_uint(out + 2 + n, s);
  out[0] = 0x30;
  out[1] = (unsigned char)n;
  return 2 + n;
}

/* One DER INTEGER that is non-negative, minimally encoded and below 2^256. */
static int der_get_uint(const unsigned char *p, size_t end, size_t *pos, unsigned char out[32]) {
  if (*pos + 2 > end || p[*pos] != 0x02) return 0;
  size_t len = p[*pos + 1];
  if (len == 0 || len > 33 || *pos + 2 + len > end) return 0; /* also refuses the long form */
  const unsigned char *v = p + *pos + 2;
  if (v[0] & 0x80) return 0;                              /* negative */
  if (len > 1 && v[0] == 0 && !(v[1] & 0x80)) return 0;  /* non-minimal */
  if (len == 33 && v[0] != 0) return 0;                  /* >= 2^256 */
  size_t skip = len == 33 ? 1 : 0;
  memset(out, 0, 32);
  memcpy(out + 32 - (len - skip), v + skip, len - skip);
  *pos += 2 + len;
  return 1;
}

/*
 * Strict DER, as OpenSSL's SM2 verify demands (it re-encodes the parsed signature and compares):
 * only the canonical encoding of a signature is accepted, with nothing after it.
 */
static int der_get_sig(const unsigned char *sig, size_t len, unsigned char r[32], unsigned char s[32]) {
  size_t pos = 2;
  if (len < 2 || sig[0] != 0x30 || (sig[1] & 0x80) || (size_t)sig[1] != len - 2) return 0;
  return der_get_uint(sig, len, &pos, r) && der_get_uint(sig, len, &pos, s) && pos == len;
}

/*
 * GB/T 32918.2 signature with a fresh nonce from RAND_priv_bytes, rejection-sampled into
 * [1, n-1]. The curve work (sm2p256_sign_digest) is constant time in k and d.
 */
static int sm2_sign_core(const key_handle *h, const unsigned char *data, size_t len, unsigned char *sig,
                         size_t *siglen, char *err, size_t errlen) {
  unsigned char e[32], k[32], r[32], s[32];
  int ok = 0;
  ERR_clear_error();
  if (!digest_e(h, data, len, e, err, errlen)) return 0;
  /* A draw is rejected with probability about 2^-32 (k >= n) or 2^-255 (r or s degenerate). */
  for (int attempt = 0; attempt < 64 && !ok; attempt++) {
    if (RAND_priv_bytes(k, sizeof k) != 1) {
      take_ossl_error(err, errlen, "RAND_priv_bytes");
      break;
    }
    if (!sm2p256_scalar_in_range(k)) continue;
    ok = sm2p256_sign_digest(&h->priv, e, k, r, s);
  }
  OPENSSL_cleanse(k, sizeof k);
  if (ok) {
    *siglen = der_put_sig(sig, r, s);
  } else if (err[0] == 0) {
    snprintf(err, errlen, "SM2 sign: no usable nonce");
  }
  OPENSSL_cleanse(s, sizeof s);
  return ok;
}

/* The key's table, building it when the key has been used often enough (any thread). */
static const sm2p256_table *key_table(key_handle *h) {
  sm2p256_table *tab = atomic_load_explicit(&h->table, memory_order_acquire);
  if (tab != NULL) return tab;
  /* Exactly one caller sees the threshold, so the table is built once; a failed allocation
   * just leaves the key on the table-less path. */
  if (atomic_fetch_add_explicit(&h->verifies, 1, memory_order_relaxed) + 1 != TABLE_AFTER_VERIFIES) return NULL;
  sm2p256_table *fresh = sm2p256_table_new(&h->pub), *expected = NULL;
  if (fresh != NULL && !atomic_compare_exchange_strong_explicit(&h->table, &expected, fresh, memory_order_acq_rel,
                                                                memory_order_acquire)) {
    sm2p256_table_free(fresh);
    return expected;
  }
  return fresh;
}

/* Returns 1 valid, 0 invalid (including any malformed signature), -1 setup failure. */
static int sm2_verify_core(key_handle *h, const unsigned char *data, size_t len, const unsigned char *sig,
                           size_t siglen, char *err, size_t errlen) {
  unsigned char e[32], r[32], s[32];
  ERR_clear_error();
  if (siglen == 0 || siglen > SM2_SIG_MAX || !der_get_sig(sig, siglen, r, s)) return 0;
  if (!digest_e(h, data, len, e, err, errlen)) return -1;
  return sm2p256_verify_digest(&h->pub, key_table(h), e, r, s);
}

/* ---------------------------------------------------------------- sync exports */

/* generateKeyPair() -> { privateKey: Buffer(32), publicKey: Buffer(65), handle: External } */
static napi_value js_generate_key_pair(napi_env env, napi_callback_info info) {
  (void)info;
  unsigned char d[SM2_PRIV_LEN];
  unsigned char pub[SM2_PUB_LEN];
  EVP_PKEY *gen = NULL;
  BIGNUM *bn = NULL;
  size_t publen = 0;
  ERR_clear_error();

  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
  if (ctx == NULL) return throw_ossl(env, "EVP_PKEY_CTX_new_from_name(SM2)");
  if (EVP_PKEY_keygen_init(ctx) != 1) {
    EVP_PKEY_CTX_free(ctx);
    return throw_ossl(env, "EVP_PKEY_keygen_init");
  }
  if (EVP_PKEY_generate(ctx, &gen) != 1) {
    EVP_PKEY_CTX_free(ctx);
    return throw_ossl(env, "EVP_PKEY_generate");
  }
  EVP_PKEY_CTX_free(ctx);

  if (EVP_PKEY_get_bn_param(gen, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1) {
    EVP_PKEY_free(gen);
    return throw_ossl(env, "EVP_PKEY_get_bn_param(priv)");
  }
  int n = BN_bn2binpad(bn, d, SM2_PRIV_LEN);
  BN_clear_free(bn);
  if (n != SM2_PRIV_LEN) {
    EVP_PKEY_free(gen);
    return throw_ossl(env, "BN_bn2binpad");
  }
  if (EVP_PKEY_get_octet_string_param(gen, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &publen) != 1 ||
      publen != SM2_PUB_LEN || pub[0] != 0x04) {
    EVP_PKEY_free(gen);
    OPENSSL_cleanse(d, sizeof d);
    return throw_ossl(env, "EVP_PKEY_get_octet_string_param(pub)");
  }
  napi_value handle = wrap_key(env, gen, 1, d, pub);
  if (handle == NULL) {
    OPENSSL_cleanse(d, sizeof d);
    return NULL;
  }
  napi_value result, jd, jpub;
  napi_status st = napi_create_buffer_copy(env, SM2_PRIV_LEN, d, NULL, &jd);
  OPENSSL_cleanse(d, sizeof d);
  NAPI_CALL(env, st);
  NAPI_CALL(env, napi_create_buffer_copy(env, SM2_PUB_LEN, pub, NULL, &jpub));
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_set_named_property(env, result, "privateKey", jd));
  NAPI_CALL(env, napi_set_named_property(env, result, "publicKey", jpub));
  NAPI_CALL(env, napi_set_named_property(env, result, "handle", handle));
  return result;
}

/* importPrivateKey(d: Uint8Array(32)) -> { handle: External, publicKey: Buffer(65) } */
static napi_value js_import_private_key(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  const unsigned char *d;
  size_t dlen;
  unsigned char pub[SM2_PUB_LEN];
  char err[ERR_BUF_LEN];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_bytes(env, argv[0], &d, &dlen) || dlen != SM2_PRIV_LEN)
    return throw_arg(env, "private key must be a 32-byte Uint8Array");
  ERR_clear_error();
  EVP_PKEY *pkey = private_from_scalar(d, pub, err, sizeof err);
  if (pkey == NULL) {
    napi_throw_error(env, "ERR_SM2_KEY", err);
    return NULL;
  }
  napi_value handle = wrap_key(env, pkey, 1, d, pub);
  if (handle == NULL) return NULL;
  napi_value result, jpub;
  NAPI_CALL(env, napi_create_buffer_copy(env, SM2_PUB_LEN, pub, NULL, &jpub));
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_set_named_property(env, result, "handle", handle));
  NAPI_CALL(env, napi_set_named_property(env, result, "publicKey", jpub));
  return result;
}

/* importPublicKey(pub: Uint8Array(65)) -> External */
static napi_value js_import_public_key(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  const unsigned char *pub;
  size_t len;
  char err[ERR_BUF_LEN];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_bytes(env, argv[0], &pub, &len)) return throw_arg(env, "public key must be a Uint8Array");
  ERR_clear_error();
  EVP_PKEY *pkey = public_from_point(pub, len, err, sizeof err);
  if (pkey == NULL) {
    napi_throw_error(env, "ERR_SM2_KEY", err);
    return NULL;
  }
  return wrap_key(env, pkey, 0, NULL, pub);
}

/* sign(handle, data) -> Buffer (DER); signOpenssl the same through OpenSSL's EVP. */
static napi_value sign_sync(napi_env env, napi_callback_info info, int use_openssl) {
  size_t argc = 2;
  napi_value argv[2];
  const unsigned char *data;
  size_t len;
  unsigned char sig[SM2_SIG_MAX];
  size_t siglen = 0;
  char err[ERR_BUF_LEN];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  key_handle *h = argc >= 1 ? get_key(env, argv[0], 1) : NULL;
  if (h == NULL) return throw_arg(env, "first argument must be an SM2 private key handle");
  if (argc < 2 || !get_bytes(env, argv[1], &data, &len)) return throw_arg(env, "data must be a Uint8Array");
  err[0] = 0;
  int ok = use_openssl ? sm2_sign_openssl(h->pkey, data, len, sig, &siglen, err, sizeof err)
                       : sm2_sign_core(h, data, len, sig, &siglen, err, sizeof err);
  if (!ok) {
    napi_throw_error(env, "ERR_SM2_OPENSSL", err);
    return NULL;
  }
  napi_value out;
  NAPI_CALL(env, napi_create_buffer_copy(env, siglen, sig, NULL, &out));
  return out;
}

/* verify(handle, data, sig) -> boolean; handle may be public or private. */
static napi_value verify_sync(napi_env env, napi_callback_info info, int use_openssl) {
  size_t argc = 3;
  napi_value argv[3];
  const unsigned char *data, *sig;
  size_t len, siglen;
  char err[ERR_BUF_LEN];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  key_handle *h = argc >= 1 ? get_key(env, argv[0], 0) : NULL;
  if (h == NULL) return throw_arg(env, "first argument must be an SM2 key handle");
  if (argc < 3 || !get_bytes(env, argv[1], &data, &len) || !get_bytes(env, argv[2], &sig, &siglen))
    return throw_arg(env, "data and signature must be Uint8Arrays");
  err[0] = 0;
  int r = use_openssl ? sm2_verify_openssl(h->pkey, data, len, sig, siglen, err, sizeof err)
                      : sm2_verify_core(h, data, len, sig, siglen, err, sizeof err);
  if (r < 0) {
    napi_throw_error(env, "ERR_SM2_OPENSSL", err);
    return NULL;
  }
  napi_value out;
  NAPI_CALL(env, napi_get_boolean(env, r == 1, &out));
  return out;
}

static napi_value js_sign(napi_env env, napi_callback_info info) { return sign_sync(env, info, 0); }
static napi_value js_sign_openssl(napi_env env, napi_callback_info info) { return sign_sync(env, info, 1); }
static napi_value js_verify(napi_env env, napi_callback_info info) { return verify_sync(env, info, 0); }
static napi_value js_verify_openssl(napi_env env, napi_callback_info info) { return verify_sync(env, info, 1); }

/* ---------------------------------------------------------------- async exports */

/* One job per call. Inputs are copied so the JS buffers may change or be collected while
 * the work runs on a libuv pool thread; the job holds a reference on the key so a finalizer
 * running in the meantime cannot free it. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  key_handle *key;
  int is_verify;
  unsigned char *data;
  size_t data_len;
  unsigned char sig[SM2_SIG_MAX];
  size_t sig_len;
  int result; /* sign: 1 ok / 0 failed; verify: 1 / 0 / -1 */
  char err[ERR_BUF_LEN];
} sm2_job;

static void job_free(napi_env env, sm2_job *job) {
  if (job->work != NULL) napi_delete_async_work(env, job->work);
  if (job->key != NULL) key_unref(job->key);
  free(job->data);
  free(job);
}

static void job_execute(napi_env env, void *arg) {
  (void)env; /* must not touch JS here: this runs on a pool thread */
  sm2_job *job = (sm2_job *)arg;
  if (job->is_verify) {
    job->result = sm2_verify_core(job->key, job->data, job->data_len, job->sig, job->sig_len, job->err,
                                  sizeof job->err);
  } else {
    job->result = sm2_sign_core(job->key, job->data, job->data_len, job->sig, &job->sig_len, job->err,
                                sizeof job->err);
  }
}

static void reject_with(napi_env env, napi_deferred deferred, const char *code, const char *msg) {
  napi_value jcode, jmsg, error;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode) == napi_ok &&
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg) == napi_ok &&
      napi_create_error(env, jcode, jmsg, &error) == napi_ok) {
    napi_reject_deferred(env, deferred, error);
  }
}

static void job_complete(napi_env env, napi_status status, void *arg) {
  sm2_job *job = (sm2_job *)arg;
  napi_value value;
  if (status != napi_ok) {
    reject_with(env, job->deferred, "ERR_SM2_CANCELLED", "SM2 async work was cancelled");
  } else if (job->is_verify) {
    if (job->result < 0) {
      reject_with(env, job->deferred, "ERR_SM2_OPENSSL", job->err);
    } else if (napi_get_boolean(env, job->result == 1, &value) == napi_ok) {
      napi_resolve_deferred(env, job->deferred, value);
    }
  } else {
    if (job->result != 1) {
      reject_with(env, job->deferred, "ERR_SM2_OPENSSL", job->err);
    } else if (napi_create_buffer_copy(env, job->sig_len, job->sig, NULL, &value) == napi_ok) {
      napi_resolve_deferred(env, job->deferred, value);
    } else {
      reject_with(env, job->deferred, "ERR_SM2_NAPI", "napi_create_buffer_copy failed");
    }
  }
  job_free(env, job);
}

static napi_value start_job(napi_env env, key_handle *h, const unsigned char *data, size_t len,
                            const unsigned char *sig, size_t siglen, int is_verify) {
  sm2_job *job = (sm2_job *)calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ERR_SM2_OOM", "out of memory");
    return NULL;
  }
  job->is_verify = is_verify;
  job->data_len = len;
  job->data = (unsigned char *)malloc(len > 0 ? len : 1);
  if (job->data == NULL) {
    free(job);
    napi_throw_error(env, "ERR_SM2_OOM", "out of memory");
    return NULL;
  }
  if (len > 0) memcpy(job->data, data, len);
  if (is_verify) {
    /* Oversized signatures are invalid by definition; keep the length so the core says so. */
    job->sig_len = siglen;
    if (siglen <= SM2_SIG_MAX) memcpy(job->sig, sig, siglen);
  }
  key_ref(h);
  job->key = h;

  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, is_verify ? "roadcert:sm2Verify" : "roadcert:sm2Sign", NAPI_AUTO_LENGTH,
                              &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    /* A created-but-unqueued promise would never settle; reject it and throw as well. */
    if (job->deferred != NULL) reject_with(env, job->deferred, "ERR_SM2_NAPI", "could not queue async work");
    job_free(env, job);
    napi_throw_error(env, "ERR_SM2_NAPI", "could not queue SM2 async work");
    return NULL;
  }
  return promise;
}

/* signAsync(handle, data) -> Promise<Buffer> */
static napi_value js_sign_async(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  const unsigned char *data;
  size_t len;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  key_handle *h = argc >= 1 ? get_key(env, argv[0], 1) : NULL;
  if (h == NULL) return throw_arg(env, "first argument must be an SM2 private key handle");
  if (argc < 2 || !get_bytes(env, argv[1], &data, &len)) return throw_arg(env, "data must be a Uint8Array");
  return start_job(env, h, data, len, NULL, 0, 0);
}

/* verifyAsync(handle, data, sig) -> Promise<boolean> */
static napi_value js_verify_async(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  const unsigned char *data, *sig;
  size_t len, siglen;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  key_handle *h = argc >= 1 ? get_key(env, argv[0], 0) : NULL;
  if (h == NULL) return throw_arg(env, "first argument must be an SM2 key handle");
  if (argc < 3 || !get_bytes(env, argv[1], &data, &len) || !get_bytes(env, argv[2], &sig, &siglen))
    return throw_arg(env, "data and signature must be Uint8Arrays");
  return start_job(env, h, data, len, sig, siglen, 1);
}

/* ---------------------------------------------------------------- batch signing */

/*
 * signManyAsync(handle, messages: Uint8Array[]) -> Promise<Buffer[]>: one pool job signs every
 * message in turn. Bulk issuance signs thousands of messages; one job per message cost the event
 * loop a promise, an async work item and a buffer each. The messages are copied into one block
 * (offsets beside it) before the job starts, as for signAsync.
 */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  key_handle *key;
  size_t count;
  unsigned char *data;    /* all messages, back to back */
  size_t *offsets;        /* count + 1 entries: message i is data[offsets[i] .. offsets[i+1]) */
  unsigned char *sigs;    /* count * SM2_SIG_MAX */
  size_t *sig_lens;       /* count */
  int ok;
  char err[ERR_BUF_LEN];
} sm2_batch_job;

static void batch_free(napi_env env, sm2_batch_job *job) {
  if (job->work != NULL) napi_delete_async_work(env, job->work);
  if (job->key != NULL) key_unref(job->key);
  free(job->data);
  free(job->offsets);
  free(job->sigs);
  free(job->sig_lens);
  free(job);
}

static void batch_execute(napi_env env, void *arg) {
  (void)env; /* pool thread: no JS */
  sm2_batch_job *job = (sm2_batch_job *)arg;
  job->ok = 1;
  for (size_t i = 0; i < job->count; i++) {
    if (!sm2_sign_core(job->key, job->data + job->offsets[i], job->offsets[i + 1] - job->offsets[i],
                       job->sigs + i * SM2_SIG_MAX, &job->sig_lens[i], job->err, sizeof job->err)) {
      job->ok = 0; /* the whole batch fails: a caller never gets a partial set of signatures */
      return;
    }
  }
}

static void batch_complete(napi_env env, napi_status status, void *arg) {
  sm2_batch_job *job = (sm2_batch_job *)arg;
  napi_value array, buf;
  if (status != napi_ok) {
    reject_with(env, job->deferred, "ERR_SM2_CANCELLED", "SM2 async work was cancelled");
  } else if (!job->ok) {
    reject_with(env, job->deferred, "ERR_SM2_OPENSSL", job->err);
  } else if (napi_create_array_with_length(env, job->count, &array) != napi_ok) {
    reject_with(env, job->deferred, "ERR_SM2_NAPI", "napi_create_array_with_length failed");
  } else {
    int built = 1;
    for (size_t i = 0; i < job->count && built; i++) {
      built = napi_create_buffer_copy(env, job->sig_lens[i], job->sigs + i * SM2_SIG_MAX, NULL, &buf) == napi_ok &&
              napi_set_element(env, array, (uint32_t)i, buf) == napi_ok;
    }
    if (built) napi_resolve_deferred(env, job->deferred, array);
    else reject_with(env, job->deferred, "ERR_SM2_NAPI", "could not build the signature array");
  }
  batch_free(env, job);
}

static napi_value js_sign_many_async(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool is_array = false;
  uint32_t count = 0;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  key_handle *h = argc >= 1 ? get_key(env, argv[0], 1) : NULL;
  if (h == NULL) return throw_arg(env, "first argument must be an SM2 private key handle");
  if (argc < 2 || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array)
    return throw_arg(env, "messages must be an array of Uint8Arrays");
  NAPI_CALL(env, napi_get_array_length(env, argv[1], &count));

  sm2_batch_job *job = (sm2_batch_job *)calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ERR_SM2_OOM", "out of memory");
    return NULL;
  }
  job->count = count;
  job->offsets = (size_t *)malloc((count + 1) * sizeof *job->offsets);
  job->sig_lens = (size_t *)calloc(count > 0 ? count : 1, sizeof *job->sig_lens);
  job->sigs = (unsigned char *)malloc((count > 0 ? count : 1) * (size_t)SM2_SIG_MAX);
  if (job->offsets == NULL || job->sig_lens == NULL || job->sigs == NULL) {
    batch_free(env, job);
    napi_throw_error(env, "ERR_SM2_OOM", "out of memory");
    return NULL;
  }
  /* First pass: lengths (and types); second pass: copy. */
  size_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    const unsigned char *data;
    size_t len;
    if (napi_get_element(env, argv[1], i, &item) != napi_ok || !get_bytes(env, item, &data, &len)) {
      batch_free(env, job);
      return throw_arg(env, "messages must be an array of Uint8Arrays");
    }
    job->offsets[i] = total;
    total += len;
  }
  job->offsets[count] = total;
  job->data = (unsigned char *)malloc(total > 0 ? total : 1);
  if (job->data == NULL) {
    batch_free(env, job);
    napi_throw_error(env, "ERR_SM2_OOM", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    const unsigned char *data;
    size_t len;
    /* The array cannot change in between: no JS runs during this call. */
    if (napi_get_element(env, argv[1], i, &item) != napi_ok || !get_bytes(env, item, &data, &len) ||
        len != job->offsets[i + 1] - job->offsets[i]) {
      batch_free(env, job);
      return throw_arg(env, "messages must be an array of Uint8Arrays");
    }
    if (len > 0) memcpy(job->data + job->offsets[i], data, len);
  }
  key_ref(h);
  job->key = h;

  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "roadcert:sm2SignMany", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, batch_execute, batch_complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    if (job->deferred != NULL) reject_with(env, job->deferred, "ERR_SM2_NAPI", "could not queue async work");
    batch_free(env, job);
    napi_throw_error(env, "ERR_SM2_NAPI", "could not queue SM2 async work");
    return NULL;
  }
  return promise;
}

/* ---------------------------------------------------------------- public-point helpers (tests) */

static int get_32(napi_env env, napi_value v, const unsigned char **out) {
  size_t len = 0;
  return get_bytes(env, v, out, &len) && len == 32;
}

static napi_value point_or_null(napi_env env, int finite, const unsigned char x[32], const unsigned char y[32]) {
  napi_value out;
  if (!finite) {
    NAPI_CALL(env, napi_get_null(env, &out));
    return out;
  }
  unsigned char pt[SM2_PUB_LEN];
  pt[0] = 0x04;
  memcpy(pt + 1, x, 32);
  memcpy(pt + 33, y, 32);
  NAPI_CALL(env, napi_create_buffer_copy(env, SM2_PUB_LEN, pt, NULL, &out));
  return out;
}

/* mulBase(k: 32 bytes) -> Buffer(65) | null: k·G for any 256-bit k, null at infinity. */
static napi_value js_mul_base(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  const unsigned char *k;
  unsigned char x[32], y[32];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_32(env, argv[0], &k)) return throw_arg(env, "scalar must be a 32-byte Uint8Array");
  return point_or_null(env, sm2p256_mul_base_public(x, y, k), x, y);
}

/* mulAdd(u: 32, t: 32, point: 65, withTable?: boolean) -> Buffer(65) | null: u·G + t·P, the
 * verification sum, with t·P by wNAF or (withTable) from a table of P built for this call. */
static napi_value js_mul_add(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  bool with_table = false;
  const unsigned char *u, *t, *pub;
  size_t publen = 0;
  sm2p256_point p;
  unsigned char x[32], y[32];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !get_32(env, argv[0], &u) || !get_32(env, argv[1], &t) || !get_bytes(env, argv[2], &pub, &publen))
    return throw_arg(env, "mulAdd(u: 32 bytes, t: 32 bytes, point: 65 bytes)");
  if (publen != SM2_PUB_LEN || pub[0] != 0x04 || !sm2p256_point_from_bytes(&p, pub + 1, pub + 33)) {
    napi_throw_error(env, "ERR_SM2_KEY", "point is not on the SM2 curve");
    return NULL;
  }
  if (argc >= 4 && napi_get_value_bool(env, argv[3], &with_table) != napi_ok) with_table = false;
  sm2p256_table *tab = NULL;
  if (with_table && (tab = sm2p256_table_new(&p)) == NULL) {
    napi_throw_error(env, "ERR_SM2_OOM", "out of memory");
    return NULL;
  }
  int finite = sm2p256_mul_add_public(x, y, u, t, &p, tab);
  sm2p256_table_free(tab);
  return point_or_null(env, finite, x, y);
}

/*
 * testSignDigestWithK(d: 32, e: 32, k: 32) -> Buffer(64) r‖s | null (k rejected). For tests
 * only: reproduces published vectors, which fix k. It takes the raw scalar, never a key handle,
 * so it cannot be used to sign with (or learn anything about) a key hidden in a handle.
 */
static napi_value js_test_sign_digest_with_k(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  const unsigned char *d, *e, *k;
  sm2p256_scalar_key key;
  unsigned char x[32], y[32], rs[64];
  napi_value out;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !get_32(env, argv[0], &d) || !get_32(env, argv[1], &e) || !get_32(env, argv[2], &k))
    return throw_arg(env, "testSignDigestWithK(d, e, k: 32 bytes each)");
  int d_ok = sm2p256_private_from_bytes(&key, x, y, d);
  if (!d_ok || !sm2p256_scalar_in_range(k)) {
    OPENSSL_cleanse(&key, sizeof key);
    return throw_arg(env, "d must be in [1, n-2] and k in [1, n-1]");
  }
  int ok = sm2p256_sign_digest(&key, e, k, rs, rs + 32);
  OPENSSL_cleanse(&key, sizeof key);
  if (!ok) {
    NAPI_CALL(env, napi_get_null(env, &out));
    return out;
  }
  NAPI_CALL(env, napi_create_buffer_copy(env, sizeof rs, rs, NULL, &out));
  return out;
}

/* ---------------------------------------------------------------- module */

NAPI_MODULE_INIT() {
  /* Builds the table of multiples of G (about a millisecond, once per process). */
  if (pthread_once(&g_init_once, global_init) != 0 || g_sm3 == NULL) {
    napi_throw_error(env, "ERR_SM2_OPENSSL", "SM2 addon initialisation failed (SM3 unavailable)");
    return NULL;
  }
  const napi_property_descriptor props[] = {
      {"generateKeyPair", NULL, js_generate_key_pair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"importPrivateKey", NULL, js_import_private_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"importPublicKey", NULL, js_import_public_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sign", NULL, js_sign, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verify", NULL, js_verify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signAsync", NULL, js_sign_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verifyAsync", NULL, js_verify_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signManyAsync", NULL, js_sign_many_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signOpenssl", NULL, js_sign_openssl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verifyOpenssl", NULL, js_verify_openssl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mulBase", NULL, js_mul_base, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mulAdd", NULL, js_mul_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"testSignDigestWithK", NULL, js_test_sign_digest_with_k, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
