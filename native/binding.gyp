{
  # SM2 through the OpenSSL that is statically linked into the node binary. The headers
  # come from <nodedir>/include/node/openssl (node-gyp puts that directory first on the
  # include path); the EVP_* symbols are resolved at load time from node itself, so no
  # system libcrypto is linked and the addon always matches Node's OpenSSL build. The SM2 curve
  # arithmetic itself is ours (sm2p256.c: plain C11 with unsigned __int128, no assembly).
  'targets': [
    {
      'target_name': 'roadcert_sm2',
      'sources': ['sm2.c', 'sm2p256.c'],
      'defines': ['NAPI_VERSION=8', 'OPENSSL_API_COMPAT=30000', 'OPENSSL_NO_DEPRECATED'],
      'cflags_c': ['-std=c11', '-Wall', '-Wextra', '-Werror=implicit-function-declaration', '-O2'],
      'conditions': [
        ['OS=="mac"', {
          'xcode_settings': { 'OTHER_LDFLAGS': ['-undefined dynamic_lookup'] }
        }]
      ]
    }
  ]
}
