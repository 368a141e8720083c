import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { DEFAULT_CATALOG, KINDS } from '../../src/domain/catalog/index.ts';
import { dataEvents, type IntakeEvent } from '../../src/domain/lifecycle.ts';
import { validateRecord } from '../../src/domain/rules/index.ts';
import { DEMO_DEFECTS, planDemoProvince } from '../../src/services/demo/demo-province-plan.ts';
import { type SeedDemoProvinceResult, seedDemoProvince } from '../../src/services/demo/seed-demo-province.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// A smaller province than the start-up default keeps the suite quick; the plan below is
// checked at full size without a database.
const LICENCES = 700;

describe('the demo province plan', () => {
  test('is deterministic, and every record but the planned defects passes the standard check', () => {
    const plan = planDemoProvince();
    assert.deepEqual(planDemoProvince(), plan);
    const defects = new Map(plan.defects.map((d) => [d.sourceRecordId, d.code]));
    for (const r of plan.records) {
      if (!dataEvents.has(r.event as IntakeEvent)) continue;
      const issues = validateRecord(r, {
        catalog: DEFAULT_CATALOG,
        provinceCode: '210000',
        today: '2026-03-02',
      });
      const expected = defects.get(r.sourceRecordId as string);
      if (expected)
        assert.ok(
          issues.some((i) => i.code === expected),
          `${r.sourceRecordId}: ${expected}`,
        );
      else assert.deepEqual(issues, [], String(r.sourceRecordId));
    }
    assert.deepEqual(new Set(plan.defects.map((d) => d.code)), new Set(DEMO_DEFECTS.map((d) => d.code)));
  });
});

for (const engine of await engines()) {
  describe(`seeding the living demo province [${engine}]`, () => {
    let t: TestApp;
    let first: SeedDemoProvinceResult;
    const deps = () => ({
      db: t.db.store.db,
      config: t.config,
      clock: t.clock,
      vault: t.vault,
      keyring: t.keyring,
    });
    const rows = <T>(q: ReturnType<typeof sql>) => t.db.store.query<T>(q);
    const one = async (q: ReturnType<typeof sql>) => Number((await rows<{ n: number }>(q))[0]!.n);
    const tableCounts = async () => {
      const out: Record<string, number> = {};
      for (const table of [
        'clients',
        'holders',
        'licences',
        'certificates',
        'certificate_events',
        'intake_records',
        'nonstandard_items',
        'outbox',
        'deliveries',
        'outages',
        'audit_log',
      ]) {
        out[table] = await one(sql`select count(*)::int as n from ${sql.identifier(table)}`);
      }
      return out;
    };

    before(async () => {
      t = await createTestApp(engine);
      first = await seedDemoProvince(deps(), { licences: LICENCES });
    });
    after(() => t.close());

    test('every planned record is taken by the intake service; none is refused', () => {
      const plan = planDemoProvince(LICENCES);
      assert.equal(first.seeded, true);
      assert.equal(first.records, plan.records.length);
      assert.equal(first.outcomes.rejected, undefined);
      assert.equal(first.outcomes.duplicate, undefined);
      assert.equal(first.outcomes.nonstandard, plan.defects.length);
      assert.ok(first.client?.secret, 'the demo client secret is handed back once');
    });

    test('all nine kinds across several cities and counties', async () => {
      const kinds = await rows<{ kind_code: string }>(sql`select distinct kind_code from certificates`);
      assert.deepEqual(new Set(kinds.map((k) => k.kind_code)), new Set(KINDS.map((k) => k.code)));
      assert.ok(first.summary.cities >= 5, `cities: ${first.summary.cities}`);
      assert.ok((await one(sql`select count(distinct region_code)::int as n from licences`)) >= 15);
      assert.equal(
        await one(sql`select count(*)::int as n from licences where region_code not like '21%'`),
        0,
      );
    });

    test('histories: newer versions supersede their predecessors', async () => {
      const newer = await one(sql`select count(*)::int as n from certificates where version >= 2`);
      assert.ok(newer > 0);
      const linked = await one(sql`
        select count(*)::int as n from certificates c
        join certificates p on p.identifier = c.previous_identifier
        where c.version >= 2 and p.status = 'superseded' and p.next_identifier = c.identifier`);
      assert.equal(linked, newer);
      assert.equal(await one(sql`select max(version)::int as n from certificates`), 3);
    });

    test('revoked, suspended, expired and paper licences, some paper ones converted', async () => {
      const s = first.summary.certificatesByStatus;
      assert.ok((s.valid ?? 0) > 0 && (s.revoked ?? 0) > 0 && (s.suspended ?? 0) > 0);
      assert.ok(first.expired > 0);
      assert.equal(s.expired, first.expired);
      assert.ok(first.summary.paperLicences > 0);
      const converted = await one(sql`
        select count(*)::int as n from certificates c
        where c.version = 1 and c.event = 'annual_review'
          and exists (select 1 from certificate_events e
                      where e.source_record_id = c.source_record_id and e.event = 'baseline')`);
      assert.ok(converted > 0);
      assert.equal(
        (await one(sql`select count(*)::int as n from certificate_events where event = 'resume'`)) > 0,
        true,
      );
    });

    test('open non-standard items carry the typical errors', async () => {
      const codes = first.summary.openNonstandardByCode;
      for (const d of DEMO_DEFECTS)
        assert.ok((codes[d.code] ?? 0) > 0, `${d.code}: ${JSON.stringify(codes)}`);
      assert.equal(first.summary.openNonstandard, planDemoProvince(LICENCES).defects.length);
    });

    test('holders share certificates: a fleet company, drivers with two kinds', async () => {
      const fleet = await one(
        sql`select max(n)::int as n from (select count(*) as n from licences group by holder_id) x`,
      );
      assert.ok(fleet >= 10, `largest holder has ${fleet} licences`);
      const drivers = await one(sql`
        select count(*)::int as n from (
          select holder_id from certificates
          group by holder_id
          having bool_or(kind_code like '%071') and bool_or(kind_code like '%072')) x`);
      assert.ok(drivers > 0);
      assert.ok(first.holders.length >= 3 && first.holders.length <= 5);
    });

    test('one outage cleared with its deadline, one ongoing; deliveries in the inboxes', async () => {
      const outages = await rows<{ status: string; deadline: Date | null }>(
        sql`select status, deadline from outages order by started_at`,
      );
      assert.deepEqual(
        outages.map((o) => [o.status, o.deadline !== null]),
        [
          ['cleared', true],
          ['ongoing', false],
        ],
      );
      assert.ok(first.deliveries > 0);
      assert.equal(await one(sql`select count(*)::int as n from deliveries`), first.deliveries);
      assert.equal(await one(sql`select count(*)::int as n from outbox where processed_at is null`), 0);
    });

    test('a second run changes nothing', async () => {
      const before = await tableCounts();
      t.clock.advance(60_000);
      const second = await seedDemoProvince(deps(), { licences: LICENCES });
      assert.equal(second.seeded, false);
      assert.equal(second.client, undefined);
      assert.deepEqual(await tableCounts(), before);
      assert.deepEqual(second.summary, first.summary);
    });

    // On PGlite (one connection, concurrency 1) the interruption stops intake at an exact point.
    if (engine === 'pglite')
      test('an interrupted seed resumes on the next start and ends as an uninterrupted one', async () => {
        const other = await createTestApp(engine);
        try {
          const otherDeps = {
            db: other.db.store.db,
            config: other.config,
            clock: other.clock,
            vault: other.vault,
            keyring: other.keyring,
          };
          const lines: string[] = [];
          await assert.rejects(
            seedDemoProvince(otherDeps, {
              licences: LICENCES,
              print: (line) => {
                lines.push(line);
                if (line.includes('30%')) throw new Error('interrupted');
              },
            }),
            /interrupted/,
          );
          assert.match(lines.join('\n'), /10%.*条\/秒/);
          const resumed = await seedDemoProvince(otherDeps, { licences: LICENCES });
          assert.equal(resumed.seeded, true);
          assert.equal(resumed.client?.secret, null);
          assert.equal(resumed.outcomes.rejected, undefined);
          assert.ok((resumed.outcomes.duplicate ?? 0) > 0);
          assert.deepEqual(resumed.summary, first.summary);
        } finally {
          await other.close();
        }
      });
  });
}
