/**
 * Chinese working days, for the 2-working-day re-push deadline after an outage.
 *
 * A working day is Monday–Friday unless it is a public holiday, plus the make-up
 * Saturdays and Sundays (调休) of the State Council's yearly notice. The notice is only
 * published late in the year before, so each year is data: the years shipped below, and
 * later years an operator loads from the notice (`roadcert calendar load`, stored in the
 * database and registered here at start-up, see services/calendar). For a year not loaded,
 * every function throws CALENDAR_YEAR_UNKNOWN rather than guess a deadline.
 */
import { AppError } from '../errors.ts';
import { addDays, dateInTimeZone, dayOfWeek, isRealDate, zonedTimeToInstant } from './dates.ts';

export interface HolidayPeriod {
  name: string;
  /** Inclusive range of days off, weekends inside it included. */
  from: string;
  to: string;
  /** Weekend days worked instead (调休上班). */
  makeUpDays: string[];
}

export interface HolidayYear {
  year: number;
  /** The notice the data is taken from. */
  source: string;
  periods: HolidayPeriod[];
}

export const HOLIDAY_YEARS: readonly HolidayYear[] = [
  {
    year: 2025,
    source: '国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）',
    periods: [
      { name: '元旦', from: '2025-01-01', to: '2025-01-01', makeUpDays: [] },
      { name: '春节', from: '2025-01-28', to: '2025-02-04', makeUpDays: ['2025-01-26', '2025-02-08'] },
      { name: '清明节', from: '2025-04-04', to: '2025-04-06', makeUpDays: [] },
      { name: '劳动节', from: '2025-05-01', to: '2025-05-05', makeUpDays: ['2025-04-27'] },
      { name: '端午节', from: '2025-05-31', to: '2025-06-02', makeUpDays: [] },
      {
        name: '国庆节、中秋节',
        from: '2025-10-01',
        to: '2025-10-08',
        makeUpDays: ['2025-09-28', '2025-10-11'],
      },
    ],
  },
  {
    year: 2026,
    source: '国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日发布）',
    periods: [
      { name: '元旦', from: '2026-01-01', to: '2026-01-03', makeUpDays: ['2026-01-04'] },
      { name: '春节', from: '2026-02-15', to: '2026-02-23', makeUpDays: ['2026-02-14', '2026-02-28'] },
      { name: '清明节', from: '2026-04-04', to: '2026-04-06', makeUpDays: [] },
      { name: '劳动节', from: '2026-05-01', to: '2026-05-05', makeUpDays: ['2026-05-09'] },
      { name: '端午节', from: '2026-06-19', to: '2026-06-21', makeUpDays: [] },
      { name: '中秋节', from: '2026-09-25', to: '2026-09-27', makeUpDays: [] },
      { name: '国庆节', from: '2026-10-01', to: '2026-10-07', makeUpDays: ['2026-09-20', '2026-10-10'] },
    ],
  },
];

interface YearDays {
  daysOff: Set<string>;
  makeUpDays: Set<string>;
}

interface RegisteredYear {
  data: HolidayYear;
  days: YearDays;
  builtIn: boolean;
}

/** Every year the calendar knows: the shipped ones, plus years loaded by an operator. */
const registry = new Map<number, RegisteredYear>();

function expand(y: HolidayYear): YearDays {
  const daysOff = new Set<string>();
  const makeUpDays = new Set<string>();
  for (const period of y.periods) {
    for (let d = period.from; d <= period.to; d = addDays(d, 1)) daysOff.add(d);
    for (const d of period.makeUpDays) makeUpDays.add(d);
  }
  return { daysOff, makeUpDays };
}

for (const y of HOLIDAY_YEARS) registry.set(y.year, { data: y, days: expand(y), builtIn: true });

/** Years the calendar can count working days in, ascending. */
export function knownHolidayYears(): number[] {
  return [...registry.keys()].sort((a, b) => a - b);
}

export function hasHolidayYear(year: number): boolean {
  return registry.has(year);
}

export function isBuiltInHolidayYear(year: number): boolean {
  return registry.get(year)?.builtIn === true;
}

/**
 * Adds (or replaces) a year loaded from the State Council's notice by an operator. The data
 * must have passed `parseHolidayYear`. A shipped year is never replaced: its days are part of
 * deadlines already computed and tested.
 */
export function registerHolidayYear(y: HolidayYear): void {
  if (isBuiltInHolidayYear(y.year)) {
    throw new AppError('CALENDAR_YEAR_BUILT_IN', `${y.year}年的节假日安排为系统内置，不能替换`, {
      details: { year: y.year },
    });
  }
  registry.set(y.year, { data: y, days: expand(y), builtIn: false });
}

/** For tests: forget operator-loaded years (shipped years stay). */
export function forgetLoadedHolidayYears(): void {
  for (const [year, entry] of registry) if (!entry.builtIn) registry.delete(year);
}

function yearDays(year: number): YearDays {
  const entry = registry.get(year);
  if (!entry) {
    const known = knownHolidayYears().join('、');
    throw new AppError(
      'CALENDAR_YEAR_UNKNOWN',
      `工作日历未收录${year}年的节假日安排（已收录：${known}年），无法计算工作日。请按国务院办公厅当年节假日安排通知录入（roadcert calendar load）`,
      { details: { year } },
    );
  }
  return entry.days;
}

// ---------------------------------------------------------------- validation of loaded years

export interface CalendarProblem {
  field: string;
  message: string;
}

const MAX_PERIODS = 12;
const MAX_PERIOD_DAYS = 15;
const MAX_MAKE_UP_DAYS = 4;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks a year of holiday data as an operator types it from the notice and returns it in the
 * calendar's shape, or throws VALIDATION_FAILED listing every problem with its field path.
 * The rules are the notice's own: every date a real date of that year, a period's days
 * consecutive and at most 15, make-up days (调休上班) on a Saturday or Sunday outside every
 * period, periods not overlapping.
 */
export function parseHolidayYear(input: unknown): HolidayYear {
  const problems: CalendarProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (!isPlainObject(input)) {
    throw new AppError('VALIDATION_FAILED', '节假日安排应为 JSON 对象：{year, source, periods: [...]}', {
      details: { problems: [{ field: '', message: '应为 JSON 对象' }] },
    });
  }
  for (const key of Object.keys(input)) {
    if (key !== 'year' && key !== 'source' && key !== 'periods') add(key, `不认识的字段“${key}”`);
  }
  const year = input.year;
  const yearOk = typeof year === 'number' && Number.isInteger(year) && year >= 2000 && year <= 2099;
  if (!yearOk) add('year', '年度（year）应为 2000–2099 之间的整数');
  const source = input.source;
  if (typeof source !== 'string' || source.trim().length === 0 || source.length > 200) {
    add('source', '依据（source）应为通知名称或文号，1–200 个字符');
  }
  const periods: HolidayPeriod[] = [];
  const rawPeriods = input.periods;
  if (!Array.isArray(rawPeriods) || rawPeriods.length === 0 || rawPeriods.length > MAX_PERIODS) {
    add('periods', `放假安排（periods）应为 1–${MAX_PERIODS} 项的数组`);
  } else {
    const inYear = (field: string, d: unknown): d is string => {
      if (typeof d !== 'string' || !isRealDate(d)) {
        add(field, `“${String(d)}”不是 YYYY-MM-DD 格式的真实日期`);
        return false;
      }
      if (yearOk && Number(d.slice(0, 4)) !== year) {
        add(field, `${d} 不在 ${year} 年内`);
        return false;
      }
      return true;
    };
    rawPeriods.forEach((raw, i) => {
      const at = `periods[${i}]`;
      if (!isPlainObject(raw)) {
        add(at, '应为对象：{name, from, to, makeUpDays}');
        return;
      }
      for (const key of Object.keys(raw)) {
        if (!['name', 'from', 'to', 'makeUpDays'].includes(key)) add(`${at}.${key}`, `不认识的字段“${key}”`);
      }
      const name = raw.name;
      const nameOk = typeof name === 'string' && name.trim().length > 0 && name.length <= 20;
      if (!nameOk) add(`${at}.name`, '节日名称（name）应为 1–20 个字符');
      const fromOk = inYear(`${at}.from`, raw.from);
      const toOk = inYear(`${at}.to`, raw.to);
      let rangeOk = fromOk && toOk;
      if (fromOk && toOk) {
        const from = raw.from as string;
        const to = raw.to as string;
        if (from > to) {
          add(`${at}.to`, `放假结束日 ${to} 早于开始日 ${from}`);
          rangeOk = false;
        } else if (addDays(from, MAX_PERIOD_DAYS - 1) < to) {
          add(`${at}.to`, `一次放假不应超过 ${MAX_PERIOD_DAYS} 天（${from} 至 ${to}）`);
          rangeOk = false;
        }
      }
      const makeUp: string[] = [];
      const rawMakeUp = raw.makeUpDays ?? [];
      if (!Array.isArray(rawMakeUp) || rawMakeUp.length > MAX_MAKE_UP_DAYS) {
        add(`${at}.makeUpDays`, `调休上班日（makeUpDays）应为至多 ${MAX_MAKE_UP_DAYS} 个日期的数组`);
      } else {
        rawMakeUp.forEach((d, j) => {
          const field = `${at}.makeUpDays[${j}]`;
          if (!inYear(field, d)) return;
          const dow = dayOfWeek(d);
          if (dow !== 0 && dow !== 6) add(field, `调休上班日 ${d} 不是周六或周日`);
          else makeUp.push(d);
        });
      }
      if (nameOk && rangeOk) {
        periods.push({
          name: (name as string).trim(),
          from: raw.from as string,
          to: raw.to as string,
          makeUpDays: makeUp,
        });
      }
    });
    const sorted = [...periods].sort((a, b) => (a.from < b.from ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1] as HolidayPeriod;
      const cur = sorted[i] as HolidayPeriod;
      if (cur.from <= prev.to) add('periods', `“${prev.name}”与“${cur.name}”的放假日期重叠`);
    }
    const seen = new Set<string>();
    for (const p of sorted) {
      for (const d of p.makeUpDays) {
        if (seen.has(d)) add('periods', `调休上班日 ${d} 出现了不止一次`);
        seen.add(d);
        const inside = sorted.find((q) => d >= q.from && d <= q.to);
        if (inside) add('periods', `调休上班日 ${d} 落在“${inside.name}”放假期间内`);
      }
    }
  }
  if (problems.length > 0) {
    const listed = problems
      .slice(0, 3)
      .map((p) => (p.field ? `${p.field}：${p.message}` : p.message))
      .join('；');
    throw new AppError('VALIDATION_FAILED', `节假日安排有 ${problems.length} 处问题：${listed}`, {
      details: { problems },
    });
  }
  return {
    year: year as number,
    source: (source as string).trim(),
    periods: [...periods].sort((a, b) => (a.from < b.from ? -1 : 1)),
  };
}

function requireDate(date: string): void {
  if (!isRealDate(date))
    throw new AppError('BAD_REQUEST', `日期“${String(date)}”应为YYYY-MM-DD格式的真实日期`);
}

export function isWorkingDay(date: string): boolean {
  requireDate(date);
  const days = yearDays(Number(date.slice(0, 4)));
  if (days.makeUpDays.has(date)) return true;
  if (days.daysOff.has(date)) return false;
  const dow = dayOfWeek(date);
  return dow !== 0 && dow !== 6;
}

/**
 * The n-th working day after `date` (before it for negative n); `date` itself never
 * counts, and n = 0 returns it unchanged.
 */
export function addWorkingDays(date: string, n: number): string {
  requireDate(date);
  if (!Number.isInteger(n)) throw new AppError('BAD_REQUEST', '工作日天数应为整数');
  const step = n < 0 ? -1 : 1;
  let remaining = Math.abs(n);
  let current = date;
  while (remaining > 0) {
    current = addDays(current, step);
    if (isWorkingDay(current)) remaining--;
  }
  return current;
}

/** Working days allowed to re-push after a fault is cleared (DB21/T 5.3). */
export const REPUSH_WORKING_DAYS = 2;

/**
 * End (23:59:59.999 local time) of the 2nd working day after the day the fault was
 * cleared. The clearing day never counts, whether or not it is a working day.
 */
export function repushDeadline(clearedAt: Date, timeZone = 'Asia/Shanghai'): Date {
  if (!(clearedAt instanceof Date) || Number.isNaN(clearedAt.getTime())) {
    throw new AppError('BAD_REQUEST', '故障排除时间无效');
  }
  const clearingDay = dateInTimeZone(clearedAt, timeZone);
  const lastDay = addWorkingDays(clearingDay, REPUSH_WORKING_DAYS);
  return zonedTimeToInstant(lastDay, { hour: 23, minute: 59, second: 59, millisecond: 999 }, timeZone);
}
