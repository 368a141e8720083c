import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../../../src/errors.ts';
import { assertNotFuture, parseInstant } from '../../../src/services/outages/outage-input.ts';
import {
  assertOutageTransition,
  nextOutageStatus,
  type OutageEvent,
  outageStatuses,
} from '../../../src/services/outages/outage-status.ts';
import { workingDaysLeft } from '../../../src/services/outages/outage-view.ts';

const beijing = (local: string) => new Date(`${local}+08:00`);
const events: OutageEvent[] = ['clear', 'complete', 'overdue'];

describe('outage transition table', () => {
  test('every status × event pair, open and completed', () => {
    const expected: Record<string, Record<OutageEvent, string | null>> = {
      ongoing: { clear: 'cleared', complete: null, overdue: null },
      cleared: { clear: null, complete: 'completed', overdue: 'overdue' },
      overdue: { clear: null, complete: 'overdue', overdue: null },
      completed: { clear: null, complete: null, overdue: null },
    };
    for (const status of outageStatuses) {
      for (const event of events) {
        const open = { status, clearedAt: null, completedAt: null };
        assert.equal(nextOutageStatus(open, event), expected[status]![event], `${status} × ${event}`);
        // A declared completion (on time or late) is final.
        const done = { status, clearedAt: null, completedAt: new Date() };
        assert.equal(nextOutageStatus(done, event), null, `${status}+completedAt × ${event}`);
      }
    }
    assert.equal(nextOutageStatus({ status: 'bogus', clearedAt: null, completedAt: null }, 'clear'), null);
  });

  test('refusals are OUTAGE_STATE with a message that says why', () => {
    const refused = (state: Parameters<typeof assertOutageTransition>[0], event: OutageEvent, re: RegExp) =>
      assert.throws(
        () => assertOutageTransition(state, event),
        (e) => isAppError(e) && e.code === 'OUTAGE_STATE' && e.status === 409 && re.test(e.message),
      );
    refused({ status: 'ongoing', clearedAt: null, completedAt: null }, 'complete', /尚未排除/);
    refused(
      { status: 'cleared', clearedAt: beijing('2025-09-26T17:30:00'), completedAt: null },
      'clear',
      /2025-09-26 17:30 报告排除/,
    );
    refused(
      { status: 'overdue', clearedAt: new Date(), completedAt: beijing('2025-10-01T09:00:00') },
      'complete',
      /2025-10-01 09:00 确认完成/,
    );
  });
});

describe('working days left', () => {
  // Cleared Friday 2025-09-26: Sunday 09-28 is a make-up working day (1), Monday 09-29 (2).
  const row = {
    status: 'cleared',
    clearedAt: beijing('2025-09-26T17:30:00'),
    deadline: beijing('2025-09-29T23:59:59.999'),
    completedAt: null,
  };

  test('counts the working days from today (or the day after clearing) to the deadline day', () => {
    assert.equal(workingDaysLeft(row, beijing('2025-09-26T18:00:00')), 2, 'clearing day');
    assert.equal(workingDaysLeft(row, beijing('2025-09-27T10:00:00')), 2, 'Saturday off');
    assert.equal(workingDaysLeft(row, beijing('2025-09-28T10:00:00')), 2, 'make-up Sunday counts');
    assert.equal(workingDaysLeft(row, beijing('2025-09-29T23:00:00')), 1, 'deadline day');
    assert.equal(workingDaysLeft(row, beijing('2025-09-30T00:00:00')), 0, 'past the deadline');
  });

  test('null when nothing is due', () => {
    assert.equal(
      workingDaysLeft({ ...row, status: 'ongoing', clearedAt: null, deadline: null }, new Date()),
      null,
    );
    assert.equal(workingDaysLeft({ ...row, status: 'completed', completedAt: new Date() }, new Date()), null);
    assert.equal(workingDaysLeft({ ...row, status: 'overdue', completedAt: new Date() }, new Date()), null);
    assert.equal(workingDaysLeft({ ...row, status: 'overdue' }, beijing('2025-10-02T10:00:00')), 0);
  });
});

describe('outage times', () => {
  test('ISO instants with an offset only, real dates only', () => {
    assert.equal(
      parseInstant('2025-09-26T23:30:00+08:00', 'clearedAt', 'x').toISOString(),
      '2025-09-26T15:30:00.000Z',
    );
    assert.equal(
      parseInstant('2025-09-26T15:30Z', 'clearedAt', 'x').toISOString(),
      '2025-09-26T15:30:00.000Z',
    );
    for (const bad of [
      '2025-09-26T23:30:00',
      '2025-02-30T10:00:00+08:00',
      '2025-09-26',
      'yesterday',
      42,
      null,
    ]) {
      assert.throws(
        () => parseInstant(bad, 'clearedAt', '故障排除时间'),
        (e) =>
          isAppError(e) &&
          e.code === 'VALIDATION_FAILED' &&
          (e.details?.errors as { field: string }[] | undefined)?.[0]?.field === 'clearedAt',
        String(bad),
      );
    }
  });

  test('not in the future, beyond a minute of clock skew', () => {
    const now = new Date('2026-03-02T02:00:00Z');
    assertNotFuture(new Date('2026-03-02T02:00:30Z'), now, 'startedAt', '故障开始时间');
    assert.throws(
      () => assertNotFuture(new Date('2026-03-02T02:05:00Z'), now, 'startedAt', '故障开始时间'),
      (e) => isAppError(e) && /startedAt/.test(e.message) && /不能晚于当前时间/.test(e.message),
    );
  });
});
