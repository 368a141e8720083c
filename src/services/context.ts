import type { Config } from '../config.ts';
import type { Permission, RoleId } from '../domain/roles.ts';
import type { Db } from '../store/db.ts';
import type { PiiVault } from './pii.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Who is acting. Every service call that changes state or reads personal data names one. */
export type Actor =
  | {
      type: 'staff';
      id: string;
      username: string;
      role: RoleId;
      regionCode: string;
      permissions: readonly Permission[];
    }
  | { type: 'system'; id: string; regionCode: string }
  | { type: 'cli'; id: string; regionCode: string };

/** Collaborators a use case needs; passed in, never imported as globals. */
export interface ServiceContext {
  db: Db;
  config: Config;
  clock: Clock;
  vault: PiiVault;
  /** Request id for the audit trail (HTTP request id, or a CLI run id). */
  requestId?: string;
}
