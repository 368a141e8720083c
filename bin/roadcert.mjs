#!/usr/bin/env node
// The roadcert command (`npx roadcert …` from the repository root). TypeScript runs through
// tsx, as for `npm start`, so the CLI and the server share one code path and one configuration.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
