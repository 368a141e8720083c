#!/usr/bin/env node
// `npm test`: every test file under test/ (unit, integration on both engines, e2e), through
// node's own test runner with tsx. Extra arguments narrow it: `npm test -- test/unit`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['test/unit', 'test/integration', 'test/e2e'];

function collect(p, out) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return out;
  }
  if (st.isFile()) {
    if (/\.test\.ts$/.test(p)) out.push(p);
  } else {
    for (const e of readdirSync(p).sort()) collect(path.join(p, e), out);
  }
  return out;
}

const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(res.status ?? 1);
