import { createHash } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import {
  HOLIDAY_YEARS,
  type HolidayPeriod,
  type HolidayYear,
  hasHolidayYear,
  isBuiltInHolidayYear,
  knownHolidayYears,
  parseHolidayYear,
  registerHolidayYear,
} from '../../domain/calendar.ts';
import { dateInTimeZone } from '../../domain/dates.ts';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { holidayYears } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { requirePermission } from '../scope.ts';

/*
 * The working-day calendar's years after the shipped ones. The State Council publishes
 * next year's holiday notice in the autumn; a province administrator types it in
 * (`roadcert calendar load FILE.json` or PUT /api/v1/calendar/years/{year}), it is checked,
 * stored and audited, and every server registers it: at start-up, and on demand when a
 * computation meets a year this process has not registered yet (another node loaded it).
 */

export interface HolidayYearView extends HolidayYear {
  builtIn: boolean;
  loadedBy: string | null;
  loadedAt: string | null;
}

export interface CalendarOverview {
  years: HolidayYearView[];
  /** The calendar year after the current one (Beijing time). */
  nextYear: number;
  nextYearKnown: boolean;
  /** Set from 1 October when next year's notice is still missing; deadlines in it will fail. */
  warning: string | null;
}

/** Registers every stored year this process does not know yet; returns how many it added. */
export async function syncHolidayYears(db: Db): Promise<number> {
  return (await readAndRegister(db)).added;
}

/** Reads the stored years and registers them (replacing loaded ones that were corrected). */
async function readAndRegister(
  db: Db,
): Promise<{ rows: (typeof holidayYears.$inferSelect)[]; added: number }> {
  const rows = await db.select().from(holidayYears).orderBy(asc(holidayYears.year));
  let added = 0;
  for (const row of rows) {
    if (isBuiltInHolidayYear(row.year)) continue;
    // Stored rows passed the same check when loaded; checking again guards against edits
    // made behind the service's back.
    const parsed = parseHolidayYear({ year: row.year, source: row.source, periods: row.periods });
    if (!hasHolidayYear(row.year)) added++;
    registerHolidayYear(parsed);
  }
  return { rows, added };
}

/**
 * Before a computation over the given years: if any is unknown here, read the stored years
 * once. Whatever is still missing afterwards makes the calendar throw CALENDAR_YEAR_UNKNOWN.
 */
export async function ensureHolidayYears(db: Db, years: readonly number[]): Promise<void> {
  if (years.every((y) => hasHolidayYear(y))) return;
  await syncHolidayYears(db);
}

function digest(y: HolidayYear): string {
  return createHash('sha256').update(JSON.stringify(y)).digest('hex').slice(0, 16);
}

/**
 * Loads one year from the notice. A year already loaded is replaced only with `replace`
 * (deadlines computed before keep their stored values); a shipped year never is.
 */
export async function loadHolidayYear(
  ctx: ServiceContext,
  actor: Actor,
  input: unknown,
  opts: { replace?: boolean } = {},
): Promise<HolidayYearView> {
  requirePermission(actor, 'calendar.manage');
  const year = parseHolidayYear(input);
  if (isBuiltInHolidayYear(year.year)) {
    throw new AppError('CALENDAR_YEAR_BUILT_IN', `${year.year}年的节假日安排为系统内置，不能替换`, {
      details: { year: year.year },
    });
  }
  const now = ctx.clock.now();
  const row = await ctx.db.transaction(async (tx) => {
    const [existing] = await tx
      .select()
      .from(holidayYears)
      .where(eq(holidayYears.year, year.year))
      .for('update');
    if (existing && !opts.replace) {
      throw new AppError(
        'CONFLICT',
        `${year.year}年的节假日安排已于 ${dateInTimeZone(existing.loadedAt)} 录入；如需更正请使用替换（--replace）`,
        { details: { year: year.year } },
      );
    }
    const values = {
      year: year.year,
      source: year.source,
      periods: year.periods,
      loadedBy: actor.id,
      loadedAt: now,
    };
    const [saved] = existing
      ? await tx.update(holidayYears).set(values).where(eq(holidayYears.year, year.year)).returning()
      : await tx.insert(holidayYears).values(values).returning();
    if (!saved) throw new Error('holiday year write returned no row');
    await appendAudit(
      tx,
      actor,
      {
        action: 'calendar.load',
        regionCode: ctx.config.province.code,
        targetType: 'holiday_year',
        targetId: String(year.year),
        details: {
          year: year.year,
          source: year.source,
          periods: year.periods.length,
          replaced: existing ? digest(parseStored(existing)) : null,
          digest: digest(year),
        },
      },
      { at: now, requestId: ctx.requestId },
    );
    return saved;
  });
  registerHolidayYear(year);
  return toView(parseStored(row), row);
}

function parseStored(row: typeof holidayYears.$inferSelect): HolidayYear {
  return { year: row.year, source: row.source, periods: row.periods as HolidayPeriod[] };
}

function toView(y: HolidayYear, row?: typeof holidayYears.$inferSelect): HolidayYearView {
  return {
    ...y,
    builtIn: !row,
    loadedBy: row?.loadedBy ?? null,
    loadedAt: row?.loadedAt.toISOString() ?? null,
  };
}

/** Month (1–12, Beijing time) from which a missing next year is reported. */
const WARN_FROM_MONTH = 10;

/** The years the calendar knows, shipped and loaded, and whether next year is ready. */
export async function calendarOverview(ctx: ServiceContext): Promise<CalendarOverview> {
  const { rows } = await readAndRegister(ctx.db);
  const years: HolidayYearView[] = [
    ...HOLIDAY_YEARS.map((y) => toView(y)),
    ...rows.filter((r) => !isBuiltInHolidayYear(r.year)).map((r) => toView(parseStored(r), r)),
  ].sort((a, b) => a.year - b.year);
  const today = dateInTimeZone(ctx.clock.now());
  const nextYear = Number(today.slice(0, 4)) + 1;
  const nextYearKnown = knownHolidayYears().includes(nextYear);
  const month = Number(today.slice(5, 7));
  const warning =
    !nextYearKnown && month >= WARN_FROM_MONTH
      ? `尚未录入${nextYear}年节假日安排：排除故障后的重新推送截止时间一旦落入${nextYear}年将无法计算。请按国务院办公厅通知录入（roadcert calendar load）。`
      : null;
  return { years, nextYear, nextYearKnown, warning };
}
