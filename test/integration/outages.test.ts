import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import { eq, sql } from 'drizzle-orm';
import type { WithRuntime } from '../../src/cli/commands/command-kit.ts';
import { registerOutageCommands } from '../../src/cli/commands/outages.ts';
import { sampleRecord } from '../../src/domain/rules/samples.ts';
import type { Runtime } from '../../src/runtime.ts';
import { openIntakeContext } from '../../src/services/intake/context.ts';
import { processRecord } from '../../src/services/intake/process-record.ts';
import { intakeRecords, outages } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

/** Beijing wall time → ISO instant (China has kept UTC+8 without daylight saving since 1991). */
const bj = (local: string) => `${local}+08:00`;
/** The re-push deadline for a last working day: its end, Beijing time. */
const endOfDay = (date: string) => new Date(`${date}T23:59:59.999+08:00`).toISOString();

const BUSINESS = '11100000000019713D008'; // 道路运输经营许可证

interface User {
  username: string;
  token: string;
  /** Clock time of the sign-in; sessions end when the test clock jumps past the idle limit. */
  at: number;
}

for (const engine of await engines()) {
  describe(`outages and the 2-working-day re-push deadline (R-5.3) [${engine}]`, () => {
    let t: TestApp;
    const users: Record<string, User> = {};

    const setNow = (iso: string) => {
      t.clock.current = new Date(iso);
    };
    /** A bearer header valid at the current test clock (signs in again after a jump). */
    const as = async (name: string) => {
      const u = users[name]!;
      const now = t.clock.now().getTime();
      if (now < u.at || now - u.at > 5 * 60_000) {
        u.token = await t.login(u.username);
        u.at = now;
      }
      return bearer(u.token);
    };
    const report = async (name: string, payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/outages', headers: await as(name), payload });
    const clear = async (name: string, id: string, clearedAt: unknown) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/outages/${id}/clear`,
        headers: await as(name),
        payload: { clearedAt },
      });
    const complete = async (name: string, id: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/outages/${id}/complete`, headers: await as(name) });
    const getOne = async (name: string, id: string) =>
      t.app.inject({ url: `/api/v1/outages/${id}`, headers: await as(name) });
    const list = async (name: string, query = '') =>
      t.app.inject({ url: `/api/v1/outages${query}`, headers: await as(name) });

    /** Reports an outage of 沈阳市 (by its officer) and returns its id. */
    const reported = async (startedAt: string, regionCode = '210100', by = 'sy') => {
      const res = await report(by, { regionCode, cause: '运政系统接口服务器宕机', startedAt });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    };
    const row = async (id: string) =>
      (await t.db.store.db.select().from(outages).where(eq(outages.id, id)))[0]!;
    const auditOf = (id: string) =>
      t.db.store.query<{ action: string; actor_type: string; details: Record<string, unknown> }>(
        sql`select action, actor_type, details from audit_log where target_type = 'outage' and target_id = ${id} order by id`,
      );
    const outageCount = async () =>
      Number((await t.db.store.query<{ n: number }>(sql`select count(*)::int as n from outages`))[0]!.n);

    before(async () => {
      t = await createTestApp(engine);
      const accounts: [string, Parameters<TestApp['staff']>[1], string][] = [
        ['admin', 'province-admin', '210000'],
        ['sy', 'issuing-officer', '210100'], // 沈阳市
        ['hp', 'issuing-officer', '210102'], // 沈阳市和平区
        ['dl', 'issuing-officer', '210200'], // 大连市
        ['sup', 'supervisor', '210000'],
        ['enf', 'enforcement-officer', '210100'],
      ];
      for (const [name, role, region] of accounts) {
        const s = await t.staff(`out-${name}`, role, region);
        users[name] = { username: s.username, token: s.token, at: t.clock.now().getTime() };
      }
    });
    after(() => t.close());

    test('a department reports an outage: ongoing, no deadline yet, audited', async () => {
      setNow('2026-03-02T02:00:00.000Z');
      const res = await report('sy', {
        regionCode: '210100',
        cause: '  专线中断  ',
        startedAt: bj('2026-03-01T20:15:00'),
        department: '沈阳市交通运输局',
      });
      assert.equal(res.statusCode, 201, res.body);
      const o = res.json();
      assert.equal(o.status, 'ongoing');
      assert.equal(o.cause, '专线中断');
      assert.equal(o.regionName, '辽宁省沈阳市');
      assert.equal(o.department, '沈阳市交通运输局');
      assert.equal(o.startedAt, '2026-03-01T12:15:00.000Z');
      assert.equal(o.deadline, null);
      assert.equal(o.workingDaysLeft, null);
      assert.equal(o.overdue, false);
      assert.equal(o.repushedRecords, 0);
      assert.equal(o.reportedBy, (await row(o.id)).reportedBy);
      assert.equal((await row(o.id)).status, 'ongoing');
      const audit = await auditOf(o.id);
      assert.deepEqual(
        audit.map((a) => [a.action, a.actor_type]),
        [['outage.report', 'staff']],
      );
      assert.equal(audit[0]!.details.cause, '专线中断');

      // A county reports for itself; the city's officer may report for its county too.
      const county = await report('sy', {
        regionCode: '210102',
        cause: '前置机故障',
        startedAt: bj('2026-03-02T09:00:00'),
      });
      assert.equal(county.statusCode, 201, county.body);
      assert.equal(county.json().department, null, 'no department given and none on the account');
    });

    test('bad input is refused naming the field, and nothing is written', async () => {
      setNow('2026-03-02T02:00:00.000Z');
      const before = await outageCount();
      const refused = async (
        res: Awaited<ReturnType<typeof report>>,
        status: number,
        code: string,
        field?: string,
      ) => {
        assert.equal(res.statusCode, status, res.body);
        assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
        assert.equal(res.json().code, code);
        if (field) {
          assert.ok(
            res.json().errors?.some((e: { field: string }) => e.field === field),
            `names ${field}: ${res.body}`,
          );
          assert.match(res.json().detail, new RegExp(field));
        }
      };
      const startedAt = bj('2026-03-01T08:00:00');
      await refused(
        await report('sy', { regionCode: '210100', startedAt }),
        400,
        'VALIDATION_FAILED',
        'cause',
      );
      await refused(
        await report('sy', { regionCode: '210100', cause: '   ', startedAt }),
        400,
        'VALIDATION_FAILED',
        'cause',
      );
      await refused(
        await report('sy', { regionCode: '210100', cause: '断网', startedAt: bj('2026-03-02T12:00:00') }),
        400,
        'VALIDATION_FAILED',
        'startedAt',
      );
      await refused(
        await report('sy', { regionCode: '210100', cause: '断网', startedAt: '2026-03-01 08:00' }),
        400,
        'VALIDATION_FAILED',
        'startedAt',
      );
      await refused(
        await report('sy', { regionCode: '210100', cause: '断网' }),
        400,
        'VALIDATION_FAILED',
        'startedAt',
      );
      await refused(
        await report('sy', { regionCode: '219999', cause: '断网', startedAt }),
        400,
        'REGION_UNKNOWN',
      );
      // 沈阳 acts only inside 沈阳; a supervisor reads but does not report.
      await refused(
        await report('sy', { regionCode: '210200', cause: '断网', startedAt }),
        403,
        'REGION_OUTSIDE_SCOPE',
      );
      await refused(
        await report('sup', { regionCode: '210100', cause: '断网', startedAt }),
        403,
        'FORBIDDEN',
      );
      assert.equal(await outageCount(), before);

      const id = await reported(bj('2026-03-01T08:00:00'));
      const auditBefore = await auditOf(id);
      await refused(await clear('sy', id, bj('2026-03-01T07:59:00')), 400, 'VALIDATION_FAILED', 'clearedAt');
      await refused(await clear('sy', id, bj('2026-03-02T12:00:00')), 400, 'VALIDATION_FAILED', 'clearedAt');
      await refused(await clear('sy', id, 'soon'), 400, 'VALIDATION_FAILED', 'clearedAt');
      const missing = await t.app.inject({
        method: 'POST',
        url: `/api/v1/outages/${id}/clear`,
        headers: await as('sy'),
        payload: {},
      });
      await refused(missing, 400, 'VALIDATION_FAILED', 'clearedAt');
      assert.equal((await row(id)).status, 'ongoing');
      assert.equal((await row(id)).clearedAt, null);
      assert.deepEqual(await auditOf(id), auditBefore);

      // Ids that name nothing are simply not found.
      for (const bad of ['not-a-uuid', '6f1c1d2e-0000-4000-8000-000000000000']) {
        await refused(await getOne('sy', bad), 404, 'NOT_FOUND');
        await refused(await clear('sy', bad, bj('2026-03-01T09:00:00')), 404, 'NOT_FOUND');
        await refused(await complete('sy', bad), 404, 'NOT_FOUND');
      }
    });

    test('deadlines around 春节, 国庆 and make-up working days (REFERENCE §7)', async () => {
      // [cleared (Beijing), last working day of the re-push, why]
      const cases: [string, string, string][] = [
        ['2025-01-24T17:00:00', '2025-01-27', 'Fri before 春节 2025: make-up Sunday 01-26, then Monday'],
        ['2025-01-27T10:00:00', '2025-02-06', 'Mon 01-27: 01-28…02-04 off, Wed 02-05 and Thu 02-06'],
        ['2025-02-06T10:00:00', '2025-02-08', 'Thu after 春节 2025: Fri 02-07, make-up Saturday 02-08'],
        ['2025-09-26T17:30:00', '2025-09-29', 'Fri 09-26: Saturday off, make-up Sunday 09-28, Monday 09-29'],
        [
          '2025-09-30T10:00:00',
          '2025-10-10',
          'Tue 09-30: 国庆+中秋 10-01…10-08 off, Thu 10-09 and Fri 10-10',
        ],
        ['2025-10-10T10:00:00', '2025-10-13', 'Fri 10-10: make-up Saturday 10-11, Monday 10-13'],
        [
          '2026-02-13T10:00:00',
          '2026-02-24',
          'Fri before 春节 2026: make-up Saturday 02-14, 02-15…02-23 off, Tue 02-24',
        ],
        ['2026-02-26T10:00:00', '2026-02-28', 'Thu after 春节 2026: Fri 02-27, make-up Saturday 02-28'],
        ['2026-09-18T10:00:00', '2026-09-21', 'Fri 09-18: make-up Sunday 09-20, Monday 09-21'],
        ['2026-09-23T10:00:00', '2026-09-28', 'Wed 09-23: Thu 09-24, 中秋 09-25…09-27 off, Mon 09-28'],
        ['2026-09-30T10:00:00', '2026-10-09', 'Wed 09-30: 国庆 10-01…10-07 off, Thu 10-08 and Fri 10-09'],
        ['2026-10-08T10:00:00', '2026-10-10', 'Thu 10-08: Fri 10-09, make-up Saturday 10-10'],
      ];
      for (const [clearedLocal, lastDay, why] of cases) {
        const clearedAt = bj(clearedLocal);
        setNow(new Date(new Date(clearedAt).getTime() + 3_600_000).toISOString());
        const id = await reported(new Date(new Date(clearedAt).getTime() - 86_400_000).toISOString());
        const res = await clear('sy', id, clearedAt);
        assert.equal(res.statusCode, 200, `${why}: ${res.body}`);
        const o = res.json();
        assert.equal(o.deadline, endOfDay(lastDay), why);
        assert.equal(o.deadlineDate, lastDay, why);
        assert.equal(o.status, 'cleared', why);
        assert.equal(o.workingDaysLeft, 2, why);
        const stored = await row(id);
        assert.equal(stored.deadline?.toISOString(), endOfDay(lastDay), why);
        assert.equal(stored.clearedAt?.toISOString(), new Date(clearedAt).toISOString(), why);
        const audit = await auditOf(id);
        assert.deepEqual(
          audit.map((a) => a.action),
          ['outage.report', 'outage.clear'],
        );
        assert.equal(audit[1]!.details.deadlineDate, lastDay);
      }
    });

    test('the clearing day is the Beijing date, not the UTC one', async () => {
      // Friday 00:30 in Beijing is still Thursday in UTC: the deadline runs from Friday.
      setNow('2026-03-06T02:00:00.000Z');
      const early = await reported(bj('2026-03-05T20:00:00'));
      const a = (await clear('sy', early, '2026-03-05T16:30:00Z')).json();
      assert.equal(a.deadline, endOfDay('2026-03-10'), 'Fri 03-06 → Mon 03-09, Tue 03-10');
      // Thursday 23:30 in Beijing (15:30 UTC, same date): the deadline runs from Thursday.
      const late = await reported(bj('2026-03-05T20:00:00'));
      const b = (await clear('sy', late, bj('2026-03-05T23:30:00'))).json();
      assert.equal(b.deadline, endOfDay('2026-03-09'), 'Thu 03-05 → Fri 03-06, Mon 03-09');
      assert.equal(b.deadline, '2026-03-09T15:59:59.999Z');
    });

    test('a year the calendar does not know is refused with its error; nothing is written', async () => {
      setNow('2027-01-10T02:00:00.000Z');
      for (const clearedAt of [bj('2027-01-05T10:00:00'), bj('2026-12-31T10:00:00')]) {
        const id = await reported(bj('2026-12-30T09:00:00'));
        const res = await clear('sy', id, clearedAt);
        assert.equal(res.statusCode, 500, res.body);
        assert.equal(res.json().code, 'CALENDAR_YEAR_UNKNOWN');
        assert.match(res.json().detail, /2027年/);
        const stored = await row(id);
        assert.equal(stored.status, 'ongoing');
        assert.equal(stored.clearedAt, null);
        assert.equal(stored.deadline, null);
        assert.deepEqual(
          (await auditOf(id)).map((a) => a.action),
          ['outage.report'],
        );
      }
    });

    test('working days left count down; past the deadline the outage turns overdue on the next read', async () => {
      setNow(bj('2025-09-26T18:00:00'));
      const id = await reported(bj('2025-09-26T08:00:00'));
      assert.equal((await clear('sy', id, bj('2025-09-26T17:30:00'))).json().workingDaysLeft, 2);
      const at = async (local: string) => {
        setNow(bj(local));
        const res = await getOne('sy', id);
        assert.equal(res.statusCode, 200, res.body);
        return res.json();
      };
      assert.equal((await at('2025-09-27T10:00:00')).workingDaysLeft, 2, 'Saturday 09-27 is a day off');
      assert.equal((await at('2025-09-28T10:00:00')).workingDaysLeft, 2, 'make-up Sunday 09-28 is day 1');
      const lastDay = await at('2025-09-29T23:59:00');
      assert.equal(lastDay.workingDaysLeft, 1);
      assert.equal(lastDay.status, 'cleared');
      assert.equal((await row(id)).status, 'cleared');

      setNow(bj('2025-09-30T00:00:01'));
      const res = await list('admin', '?status=overdue');
      assert.equal(res.statusCode, 200, res.body);
      const item = res.json().items.find((o: { id: string }) => o.id === id);
      assert.ok(item, 'the list marks it before answering');
      assert.equal(item.status, 'overdue');
      assert.equal(item.overdue, true);
      assert.equal(item.workingDaysLeft, 0);
      assert.equal((await row(id)).status, 'overdue');
      const flagged = res
        .json()
        .overdueDepartments.find((d: { regionCode: string }) => d.regionCode === '210100');
      assert.ok(flagged, 'the department is flagged');
      assert.ok(flagged.notCompleted >= 1);
      const audit = await auditOf(id);
      assert.deepEqual(
        audit.map((a) => [a.action, a.actor_type]),
        [
          ['outage.report', 'staff'],
          ['outage.clear', 'staff'],
          ['outage.overdue', 'system'],
        ],
      );
      // A second read changes nothing more.
      await list('admin');
      assert.equal((await auditOf(id)).length, 3);

      // Completed late: recorded, but the overdue fact stays.
      const done = await complete('sy', id);
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(done.json().status, 'overdue');
      assert.equal(done.json().completedLate, true);
      assert.equal(done.json().completedAt, new Date(bj('2025-09-30T00:00:01')).toISOString());
      assert.equal(done.json().workingDaysLeft, null);
      const stored = await row(id);
      assert.equal(stored.status, 'overdue');
      assert.ok(stored.completedAt);
      const last = (await auditOf(id)).at(-1)!;
      assert.equal(last.action, 'outage.complete');
      assert.equal(last.details.late, true);
      const again = await complete('sy', id);
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'OUTAGE_STATE');
      assert.match(again.json().detail, /确认完成/);
      const flaggedAfter = (await list('admin'))
        .json()
        .overdueDepartments.find((d: { regionCode: string }) => d.regionCode === '210100');
      assert.ok(flaggedAfter.overdueOutages >= 1, 'a late completion still flags the department');
    });

    test('completion by the deadline is `completed`; state errors are 409 and change nothing', async () => {
      setNow(bj('2026-03-11T09:00:00'));
      const id = await reported(bj('2026-03-10T09:00:00'));
      const early = await complete('sy', id);
      assert.equal(early.statusCode, 409);
      assert.equal(early.json().code, 'OUTAGE_STATE');
      assert.match(early.json().detail, /尚未排除/);
      assert.equal((await row(id)).status, 'ongoing');

      assert.equal((await clear('sy', id, bj('2026-03-11T08:30:00'))).statusCode, 200);
      const twice = await clear('sy', id, bj('2026-03-11T08:45:00'));
      assert.equal(twice.statusCode, 409);
      assert.match(twice.json().detail, /不能重复报告/);
      assert.equal(
        (await row(id)).clearedAt?.toISOString(),
        new Date(bj('2026-03-11T08:30:00')).toISOString(),
      );

      setNow(bj('2026-03-13T23:59:00')); // the deadline day: Wed 03-11 → Thu 03-12, Fri 03-13
      const done = await complete('sy', id);
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(done.json().status, 'completed');
      assert.equal(done.json().overdue, false);
      assert.equal(done.json().completedLate, false);
      assert.equal(done.json().workingDaysLeft, null);
      assert.deepEqual(
        (await auditOf(id)).map((a) => a.action),
        ['outage.report', 'outage.clear', 'outage.complete'],
      );
      // Past the deadline a completed outage stays completed.
      setNow(bj('2026-03-20T09:00:00'));
      await list('admin');
      assert.equal((await row(id)).status, 'completed');
      assert.equal((await getOne('sy', id)).json().status, 'completed');
    });

    test('completing after the deadline before any refresh records the overdue fact first', async () => {
      setNow(bj('2026-03-16T10:00:00'));
      const id = await reported(bj('2026-03-16T08:00:00'));
      await clear('sy', id, bj('2026-03-16T09:00:00')); // Mon → Tue 03-17, Wed 03-18
      setNow(bj('2026-03-19T09:00:00'));
      const done = await complete('sy', id);
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(done.json().status, 'overdue');
      assert.equal(done.json().completedLate, true);
      assert.deepEqual(
        (await auditOf(id)).map((a) => [a.action, a.actor_type]),
        [
          ['outage.report', 'staff'],
          ['outage.clear', 'staff'],
          ['outage.overdue', 'system'],
          ['outage.complete', 'staff'],
        ],
      );
    });

    test('a clearing reported after its own deadline is overdue at once', async () => {
      setNow(bj('2026-03-10T10:00:00'));
      const id = await reported(bj('2026-03-02T08:00:00'));
      const res = await clear('sy', id, bj('2026-03-02T12:00:00')); // Mon → deadline Wed 03-04
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'overdue');
      assert.equal(res.json().deadline, endOfDay('2026-03-04'));
      assert.deepEqual(
        (await auditOf(id)).map((a) => [a.action, a.actor_type]),
        [
          ['outage.report', 'staff'],
          ['outage.clear', 'staff'],
          ['outage.overdue', 'system'],
        ],
      );
    });

    test('re-push tracking counts records of the outage window pushed after clearing, once each', async () => {
      // 沈阳市 cannot push from Tue 03-03 09:00 to Wed 03-04 15:00 (Beijing).
      setNow(bj('2026-03-04T16:00:00'));
      const id = await reported(bj('2026-03-03T09:00:00'));
      const rec = (n: string, regionCode: string, eventDate: string, receivedLocal: string) => ({
        sourceRecordId: `OUT-${n}`,
        sourceVersion: 1,
        clientId: 'test-source',
        event: 'issue',
        kindCode: BUSINESS,
        regionCode,
        status: 'recorded' as const,
        eventDate,
        receivedAt: new Date(bj(receivedLocal)),
      });
      await t.db.store.db.insert(intakeRecords).values([
        rec('during', '210102', '2026-03-03', '2026-03-04T10:00:00'), // pushed before the clearing
        rec('a', '210102', '2026-03-03', '2026-03-04T15:30:00'), // county of 沈阳: counts
        rec('b', '210100', '2026-03-04', '2026-03-04T15:40:00'), // the clearing day itself: counts
        rec('before', '210102', '2026-03-02', '2026-03-04T15:41:00'), // before the outage
        rec('afterwards', '210102', '2026-03-05', '2026-03-04T15:42:00'), // after the clearing day
        rec('dalian', '210202', '2026-03-03', '2026-03-04T15:43:00'), // another city
      ]);
      const cleared = await clear('sy', id, bj('2026-03-04T15:00:00'));
      assert.equal(cleared.json().repushedRecords, 2);
      assert.equal((await row(id)).repushedRecords, 2);

      // A real push through intake, and the same push again (a duplicate, never counted twice).
      setNow(bj('2026-03-05T09:00:00'));
      const ctx = await openIntakeContext(t.ctx, t.keyring);
      const source = { clientId: 'test-source', regionCode: '210100', actor: t.cliActor };
      const record = {
        sourceRecordId: 'OUT-real',
        sourceVersion: 1,
        event: 'issue',
        ...sampleRecord(BUSINESS, { issueDate: '2026-03-03' }, { index: 4242, regionCode: '210102' }),
      };
      const first = await processRecord(ctx, source, record);
      assert.ok(['issued', 'nonstandard'].includes(first.status), JSON.stringify(first));
      const second = await processRecord(ctx, source, record);
      assert.equal(second.status, 'duplicate');
      const [stored] = await t.db.store.db
        .select()
        .from(intakeRecords)
        .where(eq(intakeRecords.sourceRecordId, 'OUT-real'));
      assert.equal(stored?.eventDate, '2026-03-03');

      const read = await getOne('sy', id);
      assert.equal(read.json().repushedRecords, 3, 'computed when read');
      assert.equal((await row(id)).repushedRecords, 2, 'stored only when refreshed');

      // `roadcert outages refresh` stores the count (and here marks nothing overdue).
      const out: string[] = [];
      const program = new Command('roadcert').exitOverride();
      const withRuntime: WithRuntime = (fn) => fn({} as Runtime, t.ctx, t.cliActor);
      registerOutageCommands(program, withRuntime, (s) => out.push(s));
      await program.parseAsync(['outages', 'refresh'], { from: 'user' });
      assert.match(out.join('\n'), /更新重新推送条数 \d+ 项/);
      assert.equal((await row(id)).repushedRecords, 3);

      const done = await complete('sy', id);
      assert.equal(done.json().status, 'completed');
      assert.equal(done.json().repushedRecords, 3);
      const last = (await auditOf(id)).at(-1)!;
      assert.equal(last.details.repushedRecords, 3);
    });

    test('`roadcert outages refresh` marks lapsed deadlines overdue and prints them', async () => {
      setNow(bj('2026-04-01T10:00:00'));
      const id = await reported(bj('2026-04-01T08:00:00'));
      await clear('sy', id, bj('2026-04-01T09:00:00')); // Wed → Thu 04-02, Fri 04-03 (清明 04-04…04-06)
      setNow(bj('2026-04-06T10:00:00'));
      const out: string[] = [];
      const program = new Command('roadcert').exitOverride();
      registerOutageCommands(
        program,
        (fn) => fn({} as Runtime, t.ctx, t.cliActor),
        (s) => out.push(s),
      );
      await program.parseAsync(['outages', 'refresh', '--json'], { from: 'user' });
      const result = JSON.parse(out.join(''));
      const marked = result.markedOverdue.find((o: { id: string }) => o.id === id);
      assert.ok(marked, out.join('\n'));
      assert.equal(marked.deadlineDate, '2026-04-03');
      assert.equal((await row(id)).status, 'overdue');
      // Nothing more to do on a second run.
      out.length = 0;
      await program.parseAsync(['outages', 'refresh', '--json'], { from: 'user' });
      assert.equal(JSON.parse(out.join('')).markedOverdue.length, 0);
      assert.deepEqual(
        (await auditOf(id)).map((a) => a.action),
        ['outage.report', 'outage.clear', 'outage.overdue'],
      );
    });

    test('region scope: 大连 cannot see, clear or complete a 沈阳 outage (404), and nothing changes', async () => {
      setNow(bj('2026-05-11T10:00:00'));
      const id = await reported(bj('2026-05-11T08:00:00'));
      const auditBefore = await auditOf(id);
      for (const res of [
        await getOne('dl', id),
        await clear('dl', id, bj('2026-05-11T09:00:00')),
        await complete('dl', id),
        // A county does not see its city's outage either.
        await getOne('hp', id),
        await clear('hp', id, bj('2026-05-11T09:00:00')),
      ]) {
        assert.equal(res.statusCode, 404, res.body);
        assert.equal(res.json().code, 'NOT_FOUND');
      }
      assert.equal((await row(id)).status, 'ongoing');
      assert.deepEqual(await auditOf(id), auditBefore);
      // "Elsewhere" reads exactly like "nowhere".
      const nowhere = await getOne('dl', '6f1c1d2e-0000-4000-8000-000000000000');
      assert.equal((await getOne('dl', id)).json().detail, nowhere.json().detail);

      const dlList = (await list('dl')).json();
      assert.ok(dlList.items.every((o: { regionCode: string }) => o.regionCode.startsWith('2102')));
      assert.equal(dlList.items.length, 0);
      assert.equal((await list('dl', '?regionCode=210100')).json().total, 0);
      assert.ok(
        dlList.overdueDepartments.every((d: { regionCode: string }) => d.regionCode.startsWith('2102')),
      );

      // The county sees its own outages, the city its subtree, the province everything.
      const hp = (await list('hp')).json();
      assert.ok(hp.items.length >= 1);
      assert.ok(hp.items.every((o: { regionCode: string }) => o.regionCode === '210102'));
      const sy = (await list('sy', '?limit=200')).json();
      assert.ok(sy.items.some((o: { id: string }) => o.id === id));
      const admin = (await list('admin', '?regionCode=210100&status=ongoing&limit=200')).json();
      assert.ok(admin.items.some((o: { id: string }) => o.id === id));
      assert.ok(admin.items.every((o: { status: string }) => o.status === 'ongoing'));
      assert.equal(admin.total, admin.items.length);
      const supervisor = await getOne('sup', id);
      assert.equal(supervisor.statusCode, 200, 'a supervisor reads every region');
      assert.equal((await complete('sup', id)).statusCode, 403);
      const enforcement = await list('enf');
      assert.equal(enforcement.statusCode, 403, 'enforcement officers do not manage outages');
      const badStatus = await list('admin', '?status=lost');
      assert.equal(badStatus.statusCode, 400);
      assert.ok(badStatus.json().errors.some((e: { field: string }) => e.field === 'status'));

      // The province clears it (above the department in the hierarchy).
      const byAdmin = await clear('admin', id, bj('2026-05-11T09:30:00'));
      assert.equal(byAdmin.statusCode, 200, byAdmin.body);
    });

    test('the endpoints are documented under the outages tag', async () => {
      const doc = (await t.app.inject({ url: '/openapi.json' })).json();
      assert.ok(doc.tags.some((tag: { name: string }) => tag.name === 'outages'));
      for (const p of ['/api/v1/outages', '/api/v1/outages/{id}', '/api/v1/outages/{id}/clear']) {
        assert.ok(doc.paths[p], `${p} documented`);
      }
      assert.deepEqual(doc.paths['/api/v1/outages/{id}/complete'].post.tags, ['outages']);
    });

    test('the audit trail still verifies after all of it', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/audit/verify',
        headers: await as('admin'),
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().ok, true);
    });
  });
}
