import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  addWorkingDays,
  forgetLoadedHolidayYears,
  HOLIDAY_YEARS,
  hasHolidayYear,
  isWorkingDay,
  knownHolidayYears,
  parseHolidayYear,
  registerHolidayYear,
  repushDeadline,
} from '../../../src/domain/calendar.ts';
import { addDays, dayOfWeek } from '../../../src/domain/dates.ts';
import { isAppError } from '../../../src/errors.ts';

const yearUnknown = (e: unknown) => isAppError(e) && e.code === 'CALENDAR_YEAR_UNKNOWN';
/** Beijing wall time → instant (China has kept UTC+8 without daylight saving since 1991). */
const beijing = (local: string) => new Date(`${local}+08:00`);

describe('working-day calendar', () => {
  test('the data is consistent: make-up days fall on weekends, periods inside their year', () => {
    for (const y of HOLIDAY_YEARS) {
      for (const p of y.periods) {
        assert.ok(p.from <= p.to, p.name);
        assert.ok(p.from.startsWith(String(y.year)) && p.to.startsWith(String(y.year)), p.name);
        for (const d of p.makeUpDays) assert.ok([0, 6].includes(dayOfWeek(d)), `${d} is a weekend day`);
      }
      assert.match(y.source, /国务院办公厅/);
    }
  });

  test('春节 2025: 01-28 to 02-04 off, make-up Sunday 01-26 and Saturday 02-08', () => {
    assert.equal(isWorkingDay('2025-01-26'), true);
    assert.equal(isWorkingDay('2025-01-27'), true);
    for (let d = '2025-01-28'; d <= '2025-02-04'; d = addDays(d, 1)) assert.equal(isWorkingDay(d), false, d);
    assert.equal(isWorkingDay('2025-02-05'), true);
    assert.equal(isWorkingDay('2025-02-08'), true);
    assert.equal(isWorkingDay('2025-02-09'), false);
  });

  test('国庆 2025 (with 中秋): 10-01 to 10-08 off, make-up 09-28 and 10-11', () => {
    assert.equal(isWorkingDay('2025-09-28'), true);
    assert.equal(isWorkingDay('2025-10-08'), false);
    assert.equal(isWorkingDay('2025-10-09'), true);
    assert.equal(isWorkingDay('2025-10-11'), true);
    assert.equal(isWorkingDay('2025-10-12'), false);
  });

  test('2026: 元旦 make-up Sunday, 春节 make-up Saturdays, 国庆 and 中秋 separate', () => {
    assert.equal(isWorkingDay('2026-01-02'), false);
    assert.equal(isWorkingDay('2026-01-04'), true);
    assert.equal(isWorkingDay('2026-02-14'), true);
    assert.equal(isWorkingDay('2026-02-23'), false);
    assert.equal(isWorkingDay('2026-02-24'), true);
    assert.equal(isWorkingDay('2026-02-28'), true);
    assert.equal(isWorkingDay('2026-09-20'), true);
    assert.equal(isWorkingDay('2026-09-25'), false);
    assert.equal(isWorkingDay('2026-10-07'), false);
    assert.equal(isWorkingDay('2026-10-10'), true);
  });

  test('ordinary weekdays and weekends', () => {
    assert.equal(isWorkingDay('2025-03-12'), true);
    assert.equal(isWorkingDay('2025-03-15'), false);
    assert.equal(isWorkingDay('2025-03-16'), false);
  });

  test('addWorkingDays skips holidays and counts make-up days', () => {
    assert.equal(addWorkingDays('2025-01-24', 1), '2025-01-26', 'Friday → make-up Sunday');
    assert.equal(addWorkingDays('2025-01-26', 2), '2025-02-05', 'across 春节');
    assert.equal(addWorkingDays('2025-02-05', -2), '2025-01-26');
    assert.equal(addWorkingDays('2025-03-12', 0), '2025-03-12');
    assert.equal(addWorkingDays('2025-09-30', 1), '2025-10-09');
  });

  test('year ends: 2025 → 2026 uses both years, 2026 → 2027 fails loudly', () => {
    assert.equal(addWorkingDays('2025-12-30', 2), '2026-01-04', '12-31, then the make-up Sunday');
    assert.equal(addWorkingDays('2026-12-29', 2), '2026-12-31');
    assert.throws(() => addWorkingDays('2026-12-30', 2), yearUnknown);
    assert.throws(() => isWorkingDay('2024-12-31'), yearUnknown);
    assert.throws(
      () => isWorkingDay('2027-01-04'),
      (e) => yearUnknown(e) && isAppError(e) && /2027/.test(e.message),
    );
  });

  test('bad dates are refused', () => {
    assert.throws(
      () => isWorkingDay('2025-02-29'),
      (e) => isAppError(e) && e.code === 'BAD_REQUEST',
    );
    assert.throws(
      () => addWorkingDays('2025-03-01', 1.5),
      (e) => isAppError(e) && e.code === 'BAD_REQUEST',
    );
  });

  test('repushDeadline: end of the 2nd working day after the clearing day, Beijing time', () => {
    // Cleared Friday evening before 春节 2025: Sunday 01-26 is a make-up day, 01-27 the second.
    assert.equal(repushDeadline(beijing('2025-01-24T18:00:00')).toISOString(), '2025-01-27T15:59:59.999Z');
    // Cleared on a holiday: the holiday does not count, the next two working days do.
    assert.equal(repushDeadline(beijing('2025-10-03T09:00:00')).toISOString(), '2025-10-10T15:59:59.999Z');
    // 2026-09-30 (Wed) → 10-08 (Thu) after 国庆 is the 1st, 10-09 the 2nd.
    assert.equal(repushDeadline(beijing('2026-09-30T10:00:00')).toISOString(), '2026-10-09T15:59:59.999Z');
    // Just after midnight Beijing is still the previous day in UTC: the Beijing date counts.
    assert.equal(repushDeadline(new Date('2025-03-11T16:30:00Z')).toISOString(), '2025-03-14T15:59:59.999Z');
    // Year end into 2026.
    assert.equal(repushDeadline(beijing('2025-12-30T23:00:00')).toISOString(), '2026-01-04T15:59:59.999Z');
    assert.throws(() => repushDeadline(beijing('2026-12-30T12:00:00')), yearUnknown);
    assert.throws(
      () => repushDeadline(new Date(Number.NaN)),
      (e) => isAppError(e) && e.code === 'BAD_REQUEST',
    );
  });

  test('repushDeadline honours another time zone', () => {
    // 2025-03-12 (Wed) in UTC: deadline Friday 03-14 23:59:59.999 UTC.
    assert.equal(
      repushDeadline(new Date('2025-03-12T10:00:00Z'), 'UTC').toISOString(),
      '2025-03-14T23:59:59.999Z',
    );
  });

  test('property: the deadline is after the clearing time and ends a working day', () => {
    const start = Date.parse('2025-01-01T00:00:00+08:00');
    const end = Date.parse('2026-12-28T00:00:00+08:00');
    fc.assert(
      fc.property(fc.integer({ min: start, max: end }), (t) => {
        const deadline = repushDeadline(new Date(t));
        assert.ok(deadline.getTime() > t);
        const local = new Date(deadline.getTime() + 8 * 3600_000).toISOString();
        assert.match(local, /T23:59:59\.999Z$/);
        assert.equal(isWorkingDay(local.slice(0, 10)), true);
      }),
    );
  });

  describe('years loaded from a notice', () => {
    const problemsOf = (input: unknown): string[] => {
      try {
        parseHolidayYear(input);
      } catch (e) {
        assert.ok(isAppError(e) && e.code === 'VALIDATION_FAILED', String(e));
        return ((e.details?.problems ?? []) as { field: string }[]).map((p) => p.field);
      }
      assert.fail('expected VALIDATION_FAILED');
    };

    test('every shipped year passes the same checks unchanged', () => {
      for (const y of HOLIDAY_YEARS) assert.deepEqual(parseHolidayYear(structuredClone(y)), y);
    });

    test('bad shapes are named field by field', () => {
      assert.deepEqual(problemsOf(null), ['']);
      assert.deepEqual(problemsOf([]), ['']);
      assert.deepEqual(problemsOf({ year: 2027.5, source: 'x', periods: [] }), ['year', 'periods']);
      assert.deepEqual(
        problemsOf({
          year: 2027,
          source: 'x',
          periods: [{ name: '', from: '2027-1-1', to: 20270101 }],
          extra: 1,
        }),
        ['extra', 'periods[0].name', 'periods[0].from', 'periods[0].to'],
      );
      assert.deepEqual(
        problemsOf({
          year: 2027,
          source: 'x',
          periods: [
            { name: 'A', from: '2027-05-01', to: '2027-05-05', makeUpDays: ['2027-04-25', '2027-04-25'] },
            { name: 'B', from: '2027-05-05', to: '2027-05-06' },
          ],
        }),
        ['periods', 'periods'],
        'overlap and a repeated make-up day',
      );
    });

    test('a loaded year is sorted, trimmed and counted; shipped years cannot be replaced', () => {
      const y = parseHolidayYear({
        year: 2030,
        source: '  测试  ',
        periods: [
          { name: '国庆节', from: '2030-10-01', to: '2030-10-07', makeUpDays: ['2030-09-29'] },
          { name: ' 元旦 ', from: '2030-01-01', to: '2030-01-01' },
        ],
      });
      assert.deepEqual(
        y.periods.map((p) => [p.name, p.makeUpDays]),
        [
          ['元旦', []],
          ['国庆节', ['2030-09-29']],
        ],
      );
      assert.equal(y.source, '测试');
      assert.equal(hasHolidayYear(2030), false);
      assert.throws(() => isWorkingDay('2030-09-29'), yearUnknown);
      registerHolidayYear(y);
      try {
        assert.equal(isWorkingDay('2030-09-29'), true, 'a make-up Sunday works');
        assert.equal(isWorkingDay('2030-10-07'), false);
        assert.equal(isWorkingDay('2030-10-08'), true);
        assert.deepEqual(knownHolidayYears().slice(-1), [2030]);
      } finally {
        forgetLoadedHolidayYears();
      }
      assert.equal(hasHolidayYear(2030), false);
      assert.throws(
        () => registerHolidayYear({ ...HOLIDAY_YEARS[1]!, periods: [] }),
        (e) => isAppError(e) && e.code === 'CALENDAR_YEAR_BUILT_IN',
      );
      assert.equal(isWorkingDay('2026-01-04'), true, 'the shipped year is untouched');
    });
  });
});
