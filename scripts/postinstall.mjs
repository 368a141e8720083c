#!/usr/bin/env node
// Builds the SM2 addon (native/) after `npm install`. It compiles against the OpenSSL
// headers that ship with Node and links against nothing: the EVP_* symbols come from the
// node binary at load time (see docs/crypto.md).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'native', 'build', 'Release', 'roadcert_sm2.node');

// `npx roadcert` re-runs lifecycle scripts when it links the project. An existing build is
// good enough there; rebuilding would make every npx call slow and could fail offline.
const viaNpx = process.env.npm_command === 'exec';
if (viaNpx && existsSync(addon)) process.exit(0);

function fail(message) {
  if (viaNpx) {
    // Do not break the npx command itself; the first SM2 use reports the missing module.
    console.warn(`roadcert: ${message}`);
    process.exit(0);
  }
  console.error(`\nroadcert: ${message}\n`);
  process.exit(1);
}

const env = { ...process.env };
// npm passes its `nodedir` setting as npm_config_nodedir. When run by hand, fall back to the
// headers installed next to this node binary so node-gyp does not try to download them.
if (!env.npm_config_nodedir) {
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
}
const nodedir = env.npm_config_nodedir;
if (nodedir && !existsSync(join(nodedir, 'include', 'node', 'openssl', 'evp.h'))) {
  fail(
    `Node 的 OpenSSL 头文件缺失（${join(nodedir, 'include', 'node', 'openssl')}），无法编译 SM2 原生模块。` +
      '请安装与当前 Node 版本一致的开发头文件，或设置 npm config nodedir。',
  );
}

const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync(nodeGyp)) fail('找不到 node-gyp（node_modules/node-gyp），无法编译 SM2 原生模块。');

// Run through the current node so the addon is built for exactly this runtime.
const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--directory', 'native'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (result.error) fail(`无法启动 node-gyp：${result.error.message}`);
if (result.status !== 0 || !existsSync(addon)) {
  fail(
    'SM2 原生模块编译失败（见上方 node-gyp 输出）。需要 C 编译器（gcc/clang）、make、python3，' +
      '以及 Node 自带的 OpenSSL 头文件。修复后重新运行 npm install。',
  );
}
