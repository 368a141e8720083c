import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import { eq, sql } from 'drizzle-orm';
import { registerCalendarCommands } from '../../src/cli/commands/calendar.ts';
import { forgetLoadedHolidayYears, hasHolidayYear } from '../../src/domain/calendar.ts';
import type { Runtime } from '../../src/runtime.ts';
import { syncHolidayYears } from '../../src/services/calendar/holiday-years.ts';
import { holidayYears, outages } from '../../src/store/schema.ts';
import { bearer, createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

const bj = (local: string) => `${local}+08:00`;
const endOfDay = (date: string) => new Date(`${date}T23:59:59.999+08:00`).toISOString();

/**
 * An invented year, shaped like a State Council notice, for tests only (2027's real notice is
 * not in this repository). 元旦 on a Friday; 春节 with a make-up Saturday after it.
 */
const YEAR_2027 = {
  year: 2027,
  source: '测试用虚构安排（非真实通知）',
  periods: [
    { name: '元旦', from: '2027-01-01', to: '2027-01-01', makeUpDays: [] },
    { name: '春节', from: '2027-02-06', to: '2027-02-14', makeUpDays: ['2027-02-20'] },
  ],
};

for (const engine of await engines()) {
  describe(`working-day calendar years loaded by an operator (R-5.3) [${engine}]`, () => {
    let t: TestApp;
    // Sessions end when the test clock jumps, so every request signs in at the current time.
    const admin = 'cal-admin';
    const officer = 'cal-sy';
    const auth = async (username: string) => bearer(await t.login(username));
    const setNow = (iso: string) => {
      t.clock.current = new Date(iso);
    };
    const put = async (token: string, year: number, payload: unknown, query = '') =>
      t.app.inject({
        method: 'PUT',
        url: `/api/v1/calendar/years/${year}${query}`,
        headers: await auth(token),
        payload: payload as Record<string, unknown>,
      });
    const stored = async () =>
      Number(
        (await t.db.store.query<{ n: number }>(sql`select count(*)::int as n from holiday_years`))[0]!.n,
      );
    const reportOutage = async (startedAt: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/outages',
        headers: await auth(officer),
        payload: { regionCode: '210100', cause: '运政系统接口服务器宕机', startedAt },
      });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    };
    const clear = async (id: string, clearedAt: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/outages/${id}/clear`,
        headers: await auth(officer),
        payload: { clearedAt },
      });

    before(async () => {
      // The calendar's registry lives in the process: start each engine's run without 2027.
      forgetLoadedHolidayYears();
      t = await createTestApp(engine);
      setNow(bj('2026-11-28T10:00:00'));
      await t.staff(admin, 'province-admin', '210000');
      await t.staff(officer, 'issuing-officer', '210100');
    });
    after(async () => {
      forgetLoadedHolidayYears();
      await t.close();
    });
    test('the overview lists the shipped years and warns that next year is missing', async () => {
      const res = await t.app.inject({ url: '/api/v1/calendar', headers: await auth(officer) });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual(
        body.years.map((y: { year: number; builtIn: boolean }) => [y.year, y.builtIn]),
        [
          [2025, true],
          [2026, true],
        ],
      );
      assert.equal(body.nextYear, 2027);
      assert.equal(body.nextYearKnown, false);
      assert.match(body.warning, /尚未录入2027年节假日安排/);
      assert.equal((await t.app.inject({ url: '/api/v1/calendar' })).statusCode, 401);
    });

    test('without 2027, clearing on 30 December fails loudly and writes nothing', async () => {
      setNow(bj('2026-12-30T12:00:00'));
      const id = await reportOutage(bj('2026-12-30T08:00:00'));
      const res = await clear(id, bj('2026-12-30T11:00:00'));
      assert.equal(res.statusCode, 500, res.body);
      assert.equal(res.json().code, 'CALENDAR_YEAR_UNKNOWN');
      assert.match(res.json().detail, /2027年.*roadcert calendar load/);
      const [row] = await t.db.store.db.select().from(outages).where(eq(outages.id, id));
      assert.equal(row?.status, 'ongoing');
      assert.equal(row?.deadline, null);
    });

    test('only the province administrator may load a year', async () => {
      const res = await put(officer, 2027, YEAR_2027);
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(await stored(), 0);
    });

    test('a wrong year is refused with every problem named, and nothing is stored', async () => {
      const res = await put(admin, 2027, {
        source: ' ',
        periods: [
          { name: '元旦', from: '2027-01-01', to: '2026-12-31', makeUpDays: [] },
          { name: '春节', from: '2027-02-06', to: '2027-02-14', makeUpDays: ['2027-02-17', '2027-02-13'] },
          { name: '清明节', from: '2027-04-03', to: '2027-04-05', makeUpDays: ['2027-02-30'] },
          { name: '劳动节', from: '2027-04-05', to: '2027-05-30', makeUpDays: [] },
        ],
      });
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json();
      assert.equal(body.code, 'VALIDATION_FAILED');
      const fields = (body.details.problems as { field: string; message: string }[]).map(
        (p) => `${p.field}: ${p.message}`,
      );
      const expect = [
        /^source: /,
        /^periods\[0\]\.to: 2026-12-31 不在 2027 年内/,
        /^periods\[1\]\.makeUpDays\[0\]: 调休上班日 2027-02-17 不是周六或周日/,
        /^periods: 调休上班日 2027-02-13 落在“春节”放假期间内/,
        /^periods\[2\]\.makeUpDays\[0\]: “2027-02-30”不是 YYYY-MM-DD 格式的真实日期/,
        /^periods\[3\]\.to: 一次放假不应超过 15 天/,
      ];
      for (const re of expect)
        assert.ok(
          fields.some((f) => re.test(f)),
          `${re} in ${fields.join(' | ')}`,
        );
      assert.equal(await stored(), 0);
      assert.equal(hasHolidayYear(2027), false);

      const mismatch = await put(admin, 2028, YEAR_2027);
      assert.equal(mismatch.statusCode, 400);
      assert.match(mismatch.json().detail, /2027 与路径中的年度 2028 不一致/);
      const builtIn = await put(admin, 2026, { ...YEAR_2027, year: 2026, periods: [] });
      assert.equal(builtIn.statusCode, 400, 'an empty year is refused before anything else');
    });

    test('a shipped year is never replaced', async () => {
      const res = await put(admin, 2026, {
        source: '更正',
        periods: [{ name: '元旦', from: '2026-01-01', to: '2026-01-01', makeUpDays: [] }],
      });
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().code, 'CALENDAR_YEAR_BUILT_IN');
    });

    test('a loaded year is stored, audited, and deadlines in it use its holidays and make-up days', async () => {
      setNow(bj('2026-12-30T12:00:00'));
      const res = await put(admin, 2027, YEAR_2027);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().builtIn, false);
      assert.equal(res.json().loadedAt, new Date(bj('2026-12-30T12:00:00')).toISOString());
      const [row] = await t.db.store.db.select().from(holidayYears).where(eq(holidayYears.year, 2027));
      assert.equal(row?.source, YEAR_2027.source);
      const audit = await t.db.store.query<{
        action: string;
        target_id: string;
        details: Record<string, unknown>;
      }>(sql`select action, target_id, details from audit_log where action = 'calendar.load'`);
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.target_id, '2027');
      assert.equal(audit[0]!.details.replaced, null);

      // Wed 30 Dec 2026 → Thu 31 Dec (1st), Fri 1 Jan off (元旦), weekend, Mon 4 Jan (2nd).
      const dec = await reportOutage(bj('2026-12-30T08:00:00'));
      const cleared = await clear(dec, bj('2026-12-30T11:00:00'));
      assert.equal(cleared.statusCode, 200, cleared.body);
      assert.equal(cleared.json().deadline, endOfDay('2027-01-04'));

      // Fri 19 Feb 2027 → Sat 20 Feb is a make-up working day (1st), Sun off, Mon 22 Feb (2nd).
      setNow(bj('2027-02-19T12:00:00'));
      const feb = await reportOutage(bj('2027-02-19T08:00:00'));
      const clearedFeb = await clear(feb, bj('2027-02-19T10:00:00'));
      assert.equal(clearedFeb.statusCode, 200, clearedFeb.body);
      assert.equal(clearedFeb.json().deadline, endOfDay('2027-02-22'));
      assert.equal(clearedFeb.json().workingDaysLeft, 2);

      const overview = (await t.app.inject({ url: '/api/v1/calendar', headers: await auth(officer) })).json();
      assert.deepEqual(
        overview.years.map((y: { year: number }) => y.year),
        [2025, 2026, 2027],
      );
      assert.equal(overview.nextYear, 2028);
      assert.equal(overview.nextYearKnown, false);
      assert.equal(overview.warning, null, 'February is too early to ask for next year');
    });

    test('another API node that never saw the load reads the year from the database when needed', async () => {
      setNow(bj('2027-02-22T09:00:00'));
      forgetLoadedHolidayYears(); // this process now stands for a node started before the load
      assert.equal(hasHolidayYear(2027), false);
      const res = await t.app.inject({ url: '/api/v1/outages?status=cleared', headers: await auth(officer) });
      assert.equal(res.statusCode, 200, res.body);
      const feb = res.json().items.find((o: { deadline: string }) => o.deadline === endOfDay('2027-02-22'));
      assert.equal(feb?.workingDaysLeft, 1);
      assert.equal(hasHolidayYear(2027), true);
      forgetLoadedHolidayYears();
      assert.equal(await syncHolidayYears(t.db.store.db), 1);
      assert.equal(await syncHolidayYears(t.db.store.db), 0);
    });

    test('loading a year twice needs replace; the replacement is audited with what it replaced', async () => {
      const again = await put(admin, 2027, YEAR_2027);
      assert.equal(again.statusCode, 409, again.body);
      assert.match(again.json().detail, /已于 .* 录入/);
      const fixed = { ...YEAR_2027, source: '测试用虚构安排（更正）' };
      const res = await put(admin, 2027, fixed, '?replace=true');
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().source, fixed.source);
      const audit = await t.db.store.query<{ details: Record<string, unknown> }>(
        sql`select details from audit_log where action = 'calendar.load' order by id`,
      );
      assert.equal(audit.length, 2);
      assert.equal(typeof audit[1]!.details.replaced, 'string');
      assert.notEqual(audit[1]!.details.replaced, audit[1]!.details.digest);
    });

    test('`roadcert calendar load` and `list` from a JSON file', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'roadcert-cal-'));
      try {
        const run = async (args: string[]) => {
          const out: string[] = [];
          const program = new Command('roadcert').exitOverride();
          registerCalendarCommands(
            program,
            (fn) => fn({} as Runtime, t.ctx, t.cliActor),
            (s) => out.push(s),
          );
          await program.parseAsync(args, { from: 'user' });
          return out.join('\n');
        };
        const file = path.join(dir, '2028.json');
        writeFileSync(
          file,
          `\uFEFF${JSON.stringify({ ...YEAR_2027, year: 2028, periods: [{ name: '元旦', from: '2028-01-01', to: '2028-01-03', makeUpDays: [] }] })}`,
        );
        assert.match(await run(['calendar', 'load', file]), /已录入2028年节假日安排（1 个假期）/);
        const listed = await run(['calendar', 'list']);
        assert.match(listed, /2028年 {2}1 个假期 {2}cli:test 录入于/);
        assert.match(listed, /春节：2027-02-06 至 2027-02-14，调休上班 2027-02-20/);
        const json = JSON.parse(await run(['calendar', 'list', '--json']));
        assert.deepEqual(
          json.years.map((y: { year: number }) => y.year),
          [2025, 2026, 2027, 2028],
        );

        const bad = path.join(dir, 'bad.json');
        writeFileSync(bad, '{"year": 2029, "source": "x", "periods": [');
        await assert.rejects(run(['calendar', 'load', bad]), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'VALIDATION_FAILED');
          assert.match(e.message, /不是有效的 JSON/);
          return true;
        });
        await assert.rejects(
          run(['calendar', 'load', path.join(dir, 'missing.json')]),
          /无法读取文件 .*ENOENT/,
        );
        assert.equal(hasHolidayYear(2029), false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
