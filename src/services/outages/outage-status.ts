/**
 * The outage lifecycle as one transition table: every service asks it, none checks
 * statuses on its own.
 *
 *   ongoing ──clear──▶ cleared ──complete (by the deadline)──▶ completed
 *                         │
 *                         └──deadline passes──▶ overdue ──complete (late)──▶ overdue + completedAt
 *
 * A late completion keeps the status `overdue`: the department did re-push, but the missed
 * deadline is a fact the evaluation must still see, so only `completedAt` records the re-push.
 */
import { AppError } from '../../errors.ts';

export const outageStatuses = ['ongoing', 'cleared', 'completed', 'overdue'] as const;
export type OutageStatus = (typeof outageStatuses)[number];

export const outageStatusNames: Record<OutageStatus, string> = {
  ongoing: '故障中',
  cleared: '已排除，待重新推送',
  completed: '已按期完成重新推送',
  overdue: '重新推送逾期',
};

export type OutageEvent = 'clear' | 'complete' | 'overdue';

const transitions: Record<OutageStatus, Partial<Record<OutageEvent, OutageStatus>>> = {
  ongoing: { clear: 'cleared' },
  cleared: { complete: 'completed', overdue: 'overdue' },
  overdue: { complete: 'overdue' },
  completed: {},
};

export interface OutageState {
  status: string;
  clearedAt: Date | null;
  completedAt: Date | null;
}

export function isOutageStatus(value: string): value is OutageStatus {
  return (outageStatuses as readonly string[]).includes(value);
}

/** The status an event leads to, or null when the table refuses it. */
export function nextOutageStatus(state: OutageState, event: OutageEvent): OutageStatus | null {
  if (!isOutageStatus(state.status)) return null;
  // A completed re-push is final, whether it was on time or late.
  if (state.completedAt) return null;
  return transitions[state.status][event] ?? null;
}

/** Like nextOutageStatus, but refuses with OUTAGE_STATE (409) and says why, in Chinese. */
export function assertOutageTransition(state: OutageState, event: OutageEvent): OutageStatus {
  const next = nextOutageStatus(state, event);
  if (next) return next;
  throw new AppError('OUTAGE_STATE', refusal(state, event), {
    details: { status: state.status, event },
  });
}

function refusal(state: OutageState, event: OutageEvent): string {
  if (state.completedAt) {
    return `该故障的重新推送已于 ${beijingTime(state.completedAt)} 确认完成，不能再${eventName(event)}`;
  }
  if (state.status === 'ongoing') return '故障尚未排除：请先报告故障排除，再确认重新推送完成';
  if (event === 'clear' && state.clearedAt) {
    return `该故障已于 ${beijingTime(state.clearedAt)} 报告排除，不能重复报告`;
  }
  const name = isOutageStatus(state.status) ? outageStatusNames[state.status] : state.status;
  return `故障当前状态为“${name}”，不能${eventName(event)}`;
}

function eventName(event: OutageEvent): string {
  return { clear: '报告故障排除', complete: '确认重新推送完成', overdue: '标记逾期' }[event];
}

/** `2025-09-26 23:30` in Beijing time, for messages people read. */
export function beijingTime(instant: Date): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);
}
