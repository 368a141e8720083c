import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  process: ChildProcess;
  /** Base URL printed by the server (“访问地址: …”). */
  base: string;
  /** Everything the server printed so far. */
  output(): string;
}

/** Starts `src/http/server.ts` as `npm start` does and waits for its URL line. */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<ServerProcess> {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/http/server.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + timeoutMs;
  const urlLine = /访问地址: (http:\S+?)\/ /;
  while (!urlLine.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process: child, base: urlLine.exec(out)![1]!, output: () => out };
}
