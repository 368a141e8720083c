/*
 * roadcert SM2 addon: GB/T 32918 signatures with SM3 and the default distinguishing ID
 * "1234567812345678" (GM/T 0009), computed by the OpenSSL 3.0 that is linked into Node.
 *
 * Why an addon: node:crypto has no way to set the SM2 ID, so crypto.sign() produces
 * signatures with an empty ID (or plain ECDSA on the SM2 curve) that other GM/T software
 * rejects. EVP_PKEY_CTX_set1_id() fixes that, and it is one call away in C.
 *
 * Keys live in OpenSSL memory behind napi externals; JavaScript never gets the private
 * scalar back from a handle. Every OpenSSL return value is checked and a failure becomes
 * an Error naming the step, with the OpenSSL error queue drained so that a stale entry
 * never leaks into a later, unrelated call on the same thread.
 */
#include <node_api.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

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

typedef struct {
  uint32_t magic;
  int is_private;
  EVP_PKEY *pkey;
} key_handle;

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

static void key_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  key_handle *h = (key_handle *)data;
  EVP_PKEY_free(h->pkey);
  h->magic = 0;
  free(h);
}

/* Takes ownership of pkey (freed on failure too). */
static napi_value wrap_key(napi_env env, EVP_PKEY *pkey, int is_private) {
  key_handle *h = (key_handle *)malloc(sizeof *h);
  if (h == NULL) {
    EVP_PKEY_free(pkey);
    napi_throw_error(env, "ERR_SM2_OOM", "out of memory");
    return NULL;
  }
  h->magic = KEY_MAGIC;
  h->is_private = is_private;
  h->pkey = pkey;
  napi_value ext;
  if (napi_create_external(env, h, key_finalize, NULL, &ext) != napi_ok) {
    key_finalize(env, h, NULL);
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

/* Thread-safe: each call has its own EVP_MD_CTX; the shared EVP_PKEY is only read. */
static int sm2_sign_core(EVP_PKEY *pkey, const unsigned char *data, size_t len, unsigned char *sig,
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
static int sm2_verify_core(EVP_PKEY *pkey, const unsigned char *data, size_t len, const unsigned char *sig,
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
  napi_value handle = wrap_key(env, gen, 1);
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
  napi_value handle = wrap_key(env, pkey, 1);
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
  return wrap_key(env, pkey, 0);
}

/* sign(handle, data) -> Buffer (DER) */
static napi_value js_sign(napi_env env, napi_callback_info info) {
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
  if (!sm2_sign_core(h->pkey, data, len, sig, &siglen, err, sizeof err)) {
    napi_throw_error(env, "ERR_SM2_OPENSSL", err);
    return NULL;
  }
  napi_value out;
  NAPI_CALL(env, napi_create_buffer_copy(env, siglen, sig, NULL, &out));
  return out;
}

/* verify(handle, data, sig) -> boolean; handle may be public or private. */
static napi_value js_verify(napi_env env, napi_callback_info info) {
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
  int r = sm2_verify_core(h->pkey, data, len, sig, siglen, err, sizeof err);
  if (r < 0) {
    napi_throw_error(env, "ERR_SM2_OPENSSL", err);
    return NULL;
  }
  napi_value out;
  NAPI_CALL(env, napi_get_boolean(env, r == 1, &out));
  return out;
}

/* ---------------------------------------------------------------- async exports */

/* One job per call. Inputs are copied so the JS buffers may change or be collected while
 * the work runs on a libuv pool thread; the key is up-ref'd so a finalizer running in the
 * meantime cannot free it. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  EVP_PKEY *pkey;
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
  EVP_PKEY_free(job->pkey);
  free(job->data);
  free(job);
}

static void job_execute(napi_env env, void *arg) {
  (void)env; /* must not touch JS here: this runs on a pool thread */
  sm2_job *job = (sm2_job *)arg;
  if (job->is_verify) {
    job->result = sm2_verify_core(job->pkey, job->data, job->data_len, job->sig, job->sig_len, job->err,
                                  sizeof job->err);
  } else {
    job->result = sm2_sign_core(job->pkey, job->data, job->data_len, job->sig, &job->sig_len, job->err,
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
  if (EVP_PKEY_up_ref(h->pkey) != 1) {
    free(job->data);
    free(job);
    return throw_ossl(env, "EVP_PKEY_up_ref");
  }
  job->pkey = h->pkey;

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
  EVP_PKEY *pkey;
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
  EVP_PKEY_free(job->pkey);
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
    if (!sm2_sign_core(job->pkey, job->data + job->offsets[i], job->offsets[i + 1] - job->offsets[i],
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
  if (EVP_PKEY_up_ref(h->pkey) != 1) {
    batch_free(env, job);
    return throw_ossl(env, "EVP_PKEY_up_ref");
  }
  job->pkey = h->pkey;

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

/* ---------------------------------------------------------------- module */

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"generateKeyPair", NULL, js_generate_key_pair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"importPrivateKey", NULL, js_import_private_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"importPublicKey", NULL, js_import_public_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sign", NULL, js_sign, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verify", NULL, js_verify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signAsync", NULL, js_sign_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verifyAsync", NULL, js_verify_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signManyAsync", NULL, js_sign_many_async, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
