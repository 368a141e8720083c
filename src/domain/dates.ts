/**
 * Calendar-date helpers shared by the domain. A date here is the wire form `YYYY-MM-DD`
 * (a civil date without a time zone), so arithmetic runs on UTC midnights where no
 * daylight-saving shift can move a day.
 */

const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** True for a `YYYY-MM-DD` string naming a day that exists (no 2025-02-29, no 2025-13-01). */
export function isRealDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE_SHAPE.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

export function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** UTC midnight of a real `YYYY-MM-DD` date, as epoch milliseconds. */
export function dateToEpochDay(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(0);
  // setUTCFullYear keeps years below 100 literal, unlike Date.UTC.
  t.setUTCFullYear(y, m - 1, d);
  return t.getTime();
}

export function epochDayToDate(ms: number): string {
  const t = new Date(ms);
  const y = t.getUTCFullYear();
  return `${String(y).padStart(4, '0')}-${pad2(t.getUTCMonth() + 1)}-${pad2(t.getUTCDate())}`;
}

export function addDays(date: string, days: number): string {
  return epochDayToDate(dateToEpochDay(date) + days * DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: string): number {
  return new Date(dateToEpochDay(date)).getUTCDay();
}

/** The civil date of an instant in a time zone (default Beijing time). */
export function dateInTimeZone(instant: Date, timeZone = 'Asia/Shanghai'): string {
  const parts = zonedParts(instant, timeZone);
  return `${String(parts.year).padStart(4, '0')}-${pad2(parts.month)}-${pad2(parts.day)}`;
}

/** Today's civil date in Beijing time, for "not in the future" checks. */
export function todayInChina(now: Date = new Date()): string {
  return dateInTimeZone(now, 'Asia/Shanghai');
}

/**
 * The instant at which the wall clock in `timeZone` shows the given date and time.
 * Found by correcting a UTC guess with the zone's offset, then re-checking once in case
 * the offset differs on the other side of a transition.
 */
export function zonedTimeToInstant(
  date: string,
  time: { hour: number; minute: number; second: number; millisecond: number },
  timeZone: string,
): Date {
  const wall =
    dateToEpochDay(date) + ((time.hour * 60 + time.minute) * 60 + time.second) * 1000 + time.millisecond;
  let guess = wall - offsetMs(new Date(wall), timeZone);
  const second = wall - offsetMs(new Date(guess), timeZone);
  if (second !== guess) guess = second;
  return new Date(guess);
}

function offsetMs(instant: Date, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const t = new Date(0);
  t.setUTCFullYear(p.year, p.month - 1, p.day);
  t.setUTCHours(p.hour, p.minute, p.second, instant.getUTCMilliseconds());
  return t.getTime() - instant.getTime();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function zonedParts(instant: Date, timeZone: string) {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    // Throws RangeError for an unknown zone name, which is a programming error.
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of fmt.formatToParts(instant)) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  return out;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
