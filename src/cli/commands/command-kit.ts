import type { Runtime } from '../../runtime.ts';
import type { Actor, ServiceContext } from '../../services/context.ts';

/**
 * main.ts's runtime wrapper (open the runtime, run the action, close), typed here so that command
 * modules do not import main.ts back and tests can pass their own.
 */
export type WithRuntime = <T>(
  fn: (rt: Runtime, ctx: ServiceContext, actor: Actor) => Promise<T>,
) => Promise<T>;

/** A command's default printer: one line to stdout. Tests pass a collecting one instead. */
export const stdout = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
