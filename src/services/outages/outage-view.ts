import { isWorkingDay } from '../../domain/calendar.ts';
import { addDays, dateInTimeZone } from '../../domain/dates.ts';
import { getRegion } from '../../domain/regions.ts';
import type { OutageRow } from './outage-records.ts';
import { isOutageStatus, type OutageStatus, outageStatusNames } from './outage-status.ts';

/** An outage as the API and the CLI show it. */
export interface OutageView {
  id: string;
  regionCode: string;
  regionName: string;
  department: string | null;
  cause: string;
  status: OutageStatus;
  statusName: string;
  startedAt: string;
  clearedAt: string | null;
  /** End of the 2nd working day after the clearing day (Beijing time). */
  deadline: string | null;
  /** The Beijing date of the deadline, for people. */
  deadlineDate: string | null;
  /** Working days still open for the re-push, today included; null when none is running. */
  workingDaysLeft: number | null;
  /** True once the deadline was missed, including a late completion. */
  overdue: boolean;
  completedAt: string | null;
  completedLate: boolean;
  /** Records of the outage window pushed since the clearing (computed when read). */
  repushedRecords: number;
  reportedBy: string;
  createdAt: string;
  updatedAt: string;
}

export function toOutageView(row: OutageRow, repushedRecords: number, now: Date): OutageView {
  const status: OutageStatus = isOutageStatus(row.status) ? row.status : 'ongoing';
  return {
    id: row.id,
    regionCode: row.regionCode,
    regionName: getRegion(row.regionCode)?.fullName ?? row.regionCode,
    department: row.department,
    cause: row.cause,
    status,
    statusName: row.completedAt && status === 'overdue' ? '逾期后完成重新推送' : outageStatusNames[status],
    startedAt: row.startedAt.toISOString(),
    clearedAt: row.clearedAt?.toISOString() ?? null,
    deadline: row.deadline?.toISOString() ?? null,
    deadlineDate: row.deadline ? dateInTimeZone(row.deadline) : null,
    workingDaysLeft: workingDaysLeft(row, now),
    overdue: status === 'overdue',
    completedAt: row.completedAt?.toISOString() ?? null,
    completedLate: status === 'overdue' && row.completedAt !== null,
    repushedRecords,
    reportedBy: row.reportedBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Working days the department still has, counting today when it is one of them: on the
 * clearing day and on the 1st working day after it that is 2, on the deadline day 1, after
 * the deadline 0. Null while nothing is due (fault not cleared, or re-push already done).
 */
/**
 * The calendar years a view of these outages counts working days in (clearing day to deadline,
 * Beijing time): pass them to `ensureHolidayYears` before building views, so a year loaded on
 * another API node is registered here first.
 */
export function calendarYearsOf(rows: readonly Pick<OutageRow, 'clearedAt' | 'deadline'>[]): number[] {
  const years = new Set<number>();
  for (const row of rows) {
    for (const at of [row.clearedAt, row.deadline]) if (at) years.add(Number(dateInTimeZone(at).slice(0, 4)));
  }
  return [...years];
}

export function workingDaysLeft(
  row: Pick<OutageRow, 'status' | 'clearedAt' | 'deadline' | 'completedAt'>,
  now: Date,
): number | null {
  if (row.completedAt || !row.clearedAt || !row.deadline) return null;
  if (row.status !== 'cleared' && row.status !== 'overdue') return null;
  if (now.getTime() > row.deadline.getTime()) return 0;
  const firstCounted = addDays(dateInTimeZone(row.clearedAt), 1);
  const today = dateInTimeZone(now);
  const lastDay = dateInTimeZone(row.deadline);
  // Dates are YYYY-MM-DD strings, so string order is date order.
  let day = firstCounted;
  if (today > day) day = today;
  let left = 0;
  while (day <= lastDay) {
    if (isWorkingDay(day)) left++;
    day = addDays(day, 1);
  }
  return left;
}
