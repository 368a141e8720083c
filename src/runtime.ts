import type { Config } from './config.ts';
import { ensureSm2Native } from './crypto/sm2.ts';
import { syncHolidayYears } from './services/calendar/holiday-years.ts';
import { ensureCatalog } from './services/catalog/catalog-versions.ts';
import { type Clock, systemClock } from './services/context.ts';
import { Keyring } from './services/keys/keyring.ts';
import { PiiVault } from './services/pii.ts';
import { migrate, openStore, type Store } from './store/db.ts';
import { acquireEmbeddedLock } from './store/embedded-lock.ts';

export interface Runtime {
  config: Config;
  store: Store;
  vault: PiiVault;
  clock: Clock;
  keyring: Keyring;
  close(): Promise<void>;
}

/**
 * What the server and every CLI command share: the store opened and migrated, the shipped
 * catalog in place, the keys loaded. The same configuration always gives the same runtime.
 */
export async function openRuntime(config: Config, opts: { clock?: Clock } = {}): Promise<Runtime> {
  // Fail at start-up, not at the first signature, when the SM2 addon was not built.
  ensureSm2Native();
  let release = () => {};
  if (config.database.kind === 'pglite') release = acquireEmbeddedLock(config.dataDir);
  let store: Store | undefined;
  try {
    store =
      config.database.kind === 'pglite'
        ? await openStore({ kind: 'pglite', dataDir: config.database.dataDir })
        : await openStore({ kind: 'postgres', url: config.database.url });
    await migrate(store);
    await ensureCatalog(store.db);
    await syncHolidayYears(store.db);
    const keyring = await Keyring.load(store.db, config);
    const opened = store;
    return {
      config,
      store: opened,
      vault: new PiiVault(config.kek),
      clock: opts.clock ?? systemClock,
      keyring,
      close: async () => {
        await opened.close();
        release();
      },
    };
  } catch (e) {
    await store?.close().catch(() => {});
    release();
    throw e;
  }
}
