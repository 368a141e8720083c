/**
 * Chinese working days, for the 2-working-day re-push deadline after an outage.
 *
 * A working day is Monday–Friday unless it is a public holiday, plus the make-up
 * Saturdays and Sundays (调休) of the State Council's yearly notice. The notice is only
 * published late in the year before, so each year is data here; for a year not loaded,
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

let byYear: Map<number, YearDays> | undefined;

function yearDays(year: number): YearDays {
  if (!byYear) {
    byYear = new Map();
    for (const y of HOLIDAY_YEARS) {
      const daysOff = new Set<string>();
      const makeUpDays = new Set<string>();
      for (const period of y.periods) {
        for (let d = period.from; d <= period.to; d = addDays(d, 1)) daysOff.add(d);
        for (const d of period.makeUpDays) makeUpDays.add(d);
      }
      byYear.set(y.year, { daysOff, makeUpDays });
    }
  }
  const days = byYear.get(year);
  if (!days) {
    const known = HOLIDAY_YEARS.map((y) => y.year).join('、');
    throw new AppError(
      'CALENDAR_YEAR_UNKNOWN',
      `工作日历未收录${year}年的节假日安排（已收录：${known}年），无法计算工作日`,
      { details: { year } },
    );
  }
  return days;
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
