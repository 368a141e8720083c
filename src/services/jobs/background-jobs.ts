import { dateInTimeZone } from '../../domain/dates.ts';
import type { Runtime } from '../../runtime.ts';
import { calendarOverview } from '../calendar/holiday-years.ts';
import { purgeRequestNonces } from '../clients/authenticate-client.ts';
import { processOutbox } from '../delivery/process-outbox.ts';
import { openIntakeContext } from '../intake/context.ts';
import { expireCertificates } from '../lifecycle/expire-certificates.ts';
import { refreshOutages } from '../outages/refresh-outages.ts';
import { purgeWalletRows } from '../wallet/purge-wallet.ts';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The server's background work: the outbox every two seconds, and once per Beijing day the
 * expiry run, overdue outages, a warning while next year's holiday calendar is missing,
 * and housekeeping. Every job is idempotent, so several API nodes may run them.
 */
export function startBackgroundJobs(runtime: Runtime, log: Log): () => Promise<void> {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let lastDay = '';
  const ctx = {
    db: runtime.store.db,
    config: runtime.config,
    clock: runtime.clock,
    vault: runtime.vault,
    requestId: 'background-job',
  };

  const guard = (name: string, job: () => Promise<unknown>) => {
    running = running
      .then(job)
      .catch((e: unknown) =>
        log.error({ job: name, err: { message: (e as Error).message } }, 'background job failed'),
      );
  };

  const outboxTimer = setInterval(() => {
    if (!stopped) guard('outbox', () => processOutbox(runtime.store.db, runtime.clock.now()));
  }, 2000);

  const daily = async () => {
    const now = runtime.clock.now();
    const today = dateInTimeZone(now);
    if (today === lastDay || !runtime.keyring.trust()) return;
    lastDay = today;
    const expired = await expireCertificates(await openIntakeContext(ctx, runtime.keyring));
    await purgeRequestNonces(runtime.store.db, now);
    await purgeWalletRows(runtime.store.db, now);
    const outages = await refreshOutages(ctx, now, { recount: true });
    log.info(
      { job: 'daily', ...expired, outagesOverdue: outages.markedOverdue.length },
      'daily lifecycle run',
    );
    // From October on, next year's holiday notice should be loaded before deadlines reach it.
    const calendar = await calendarOverview(ctx);
    if (calendar.warning) {
      log.warn(
        { job: 'daily', calendarYearMissing: calendar.nextYear },
        'holiday calendar for next year not loaded',
      );
    }
  };
  guard('daily', daily);
  const dailyTimer = setInterval(() => {
    if (!stopped) guard('daily', daily);
  }, 10 * 60_000);

  return async () => {
    stopped = true;
    clearInterval(outboxTimer);
    clearInterval(dailyTimer);
    await running;
  };
}
