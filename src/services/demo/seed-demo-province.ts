import { and, eq } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { clients, outages } from '../../store/schema.ts';
import { createClient } from '../clients/create-client.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { processOutbox } from '../delivery/process-outbox.ts';
import { openIntakeContext } from '../intake/context.ts';
import { submitRecords } from '../intake/submit-records.ts';
import type { IntakeStatus } from '../intake/types.ts';
import type { Keyring } from '../keys/keyring.ts';
import { expireCertificates } from '../lifecycle/expire-certificates.ts';
import { clearOutage } from '../outages/clear-outage.ts';
import { reportOutage } from '../outages/report-outage.ts';
import {
  DEMO_LICENCES,
  type DemoHolder,
  type DemoProvincePlan,
  kindShortName,
  planDemoProvince,
} from './demo-province-plan.ts';
import { type DemoProvinceSummary, summarizeDemoProvince } from './summarize-demo-province.ts';

export const DEMO_CLIENT_NAME = '辽宁省运政系统';
/** Who seeds: recorded as the demo client's creator and the outages' reporter (the marker). */
export const DEMO_SEED_ACTOR: Actor = { type: 'system', id: 'demo-seed', regionCode: '210000' };

const BATCH = 250;

/** The demo outages: one cleared a few hours ago (its re-push deadline running), one ongoing. */
const DEMO_OUTAGES = [
  {
    regionCode: '210200',
    department: '大连市交通运输局',
    cause: '运政系统接口服务器宕机，证照数据无法推送',
    startedHoursAgo: 27,
    clearedHoursAgo: 3,
  },
  {
    regionCode: '210600',
    department: '丹东市交通运输局',
    cause: '政务外网专线中断',
    startedHoursAgo: 2,
    clearedHoursAgo: null,
  },
] as const;

export interface SeedDependencies extends Omit<ServiceContext, 'requestId'> {
  keyring: Keyring;
}

export interface SeedDemoProvinceResult {
  /** false: the province was already there; nothing was written. */
  seeded: boolean;
  /** Set when seeded: the demo source system's credentials (the secret is shown only once). */
  client?: { clientId: string; secret: string | null };
  /** Outcomes of the pushed records, by intake status. */
  outcomes: Partial<Record<IntakeStatus, number>>;
  records: number;
  expired: number;
  deliveries: number;
  ms: number;
  summary: DemoProvinceSummary;
  /** Holders worth signing in as in the wallet. */
  holders: { holder: DemoHolder; holds: string }[];
}

/**
 * Demo mode: a province that looks alive. A demo source client (辽宁省运政系统) pushes a few
 * thousand licences with their histories through the same intake service as the real source
 * systems, the daily expiry runs, two outages are reported (one cleared), and the outbox is
 * delivered. Idempotent: the demo client and its outages mark a finished seed, and an
 * interrupted one resumes (records already received come back as duplicates).
 */
export async function seedDemoProvince(
  deps: SeedDependencies,
  opts: { licences?: number; print?: (line: string) => void } = {},
): Promise<SeedDemoProvinceResult> {
  const started = performance.now();
  const print = opts.print ?? (() => {});
  const ctx: ServiceContext = { ...deps, requestId: 'demo-seed' };
  const plan = planDemoProvince(opts.licences ?? DEMO_LICENCES);

  const existing = await findDemoClient(ctx);
  if (existing && (await demoOutages(ctx)).length === DEMO_OUTAGES.length) {
    return {
      seeded: false,
      outcomes: {},
      records: 0,
      expired: 0,
      deliveries: 0,
      ms: performance.now() - started,
      summary: await summarizeDemoProvince(ctx.db),
      holders: pickHolders(plan),
    };
  }

  let client: { clientId: string; secret: string | null };
  if (existing) {
    client = { clientId: existing, secret: null };
  } else {
    const created = await createClient(ctx, DEMO_SEED_ACTOR, {
      name: DEMO_CLIENT_NAME,
      regionCode: '210000',
    });
    client = { clientId: created.clientId, secret: created.secret };
  }
  const intake = await openIntakeContext(ctx, deps.keyring);
  // The same source and actor the intake route gives a signed push of this client.
  const actor: Actor = { type: 'system', id: `client:${client.clientId}`, regionCode: '210000' };
  const source = { clientId: client.clientId, regionCode: '210000', actor };

  // PGlite has a single connection: concurrent transactions would only queue.
  const concurrency = deps.config.database.kind === 'pglite' ? 1 : 4;
  const outcomes: Partial<Record<IntakeStatus, number>> = {};
  const total = plan.records.length;
  let done = 0;
  let nextReport = 0.1;
  print(`正在生成演示数据：${DEMO_CLIENT_NAME}推送 ${plan.licences.length} 本证照的 ${total} 条业务记录…`);
  for (let from = 0; from < total; from += BATCH) {
    await submitRecords(intake, source, plan.records.slice(from, from + BATCH), {
      concurrency,
      bulk: true,
      onResult: (_i, result) => {
        outcomes[result.status] = (outcomes[result.status] ?? 0) + 1;
        done++;
        if (done / total >= nextReport - 1e-9) {
          nextReport += 0.1;
          const seconds = (performance.now() - started) / 1000;
          print(
            `  ${Math.round((done / total) * 100)}%  ${done}/${total} 条（签发 ${outcomes.issued ?? 0}、更新 ${outcomes.updated ?? 0}、纸质归集 ${outcomes.recorded ?? 0}、不规范 ${outcomes.nonstandard ?? 0}）  ${seconds.toFixed(1)} 秒，${Math.round(done / seconds)} 条/秒`,
          );
        }
      },
    });
  }

  // Licences whose validity ended take `expire` the way the daily run does it.
  const { expired } = await expireCertificates(intake);
  await seedOutages(ctx);
  let deliveries = 0;
  for (let n = await processOutbox(ctx.db, ctx.clock.now(), { limit: 1000 }); n > 0; ) {
    deliveries += n;
    n = await processOutbox(ctx.db, ctx.clock.now(), { limit: 1000 });
  }

  return {
    seeded: true,
    client,
    outcomes,
    records: total,
    expired,
    deliveries,
    ms: performance.now() - started,
    summary: await summarizeDemoProvince(ctx.db),
    holders: pickHolders(plan),
  };
}

async function findDemoClient(ctx: ServiceContext): Promise<string | undefined> {
  const [row] = await ctx.db
    .select({ id: clients.id })
    .from(clients)
    .where(and(eq(clients.name, DEMO_CLIENT_NAME), eq(clients.createdBy, DEMO_SEED_ACTOR.id)))
    .limit(1);
  return row?.id;
}

function demoOutages(ctx: ServiceContext) {
  return ctx.db
    .select({ id: outages.id, cause: outages.cause, status: outages.status })
    .from(outages)
    .where(eq(outages.reportedBy, DEMO_SEED_ACTOR.id));
}

/** Reports the demo outages not yet reported and clears the one meant to be cleared. */
async function seedOutages(ctx: ServiceContext): Promise<void> {
  const now = ctx.clock.now().getTime();
  const hoursAgo = (h: number) => new Date(now - h * 3_600_000);
  const seen = await demoOutages(ctx);
  for (const o of DEMO_OUTAGES) {
    const id =
      seen.find((s) => s.cause === o.cause)?.id ??
      (
        await reportOutage(ctx, DEMO_SEED_ACTOR, {
          regionCode: o.regionCode,
          department: o.department,
          cause: o.cause,
          startedAt: hoursAgo(o.startedHoursAgo),
        })
      ).id;
    const status = seen.find((s) => s.id === id)?.status ?? 'ongoing';
    if (o.clearedHoursAgo === null || status !== 'ongoing') continue;
    try {
      await clearOutage(ctx, DEMO_SEED_ACTOR, id, { clearedAt: hoursAgo(o.clearedHoursAgo) });
    } catch (e) {
      // A year the working-day calendar does not know yet: the outage stays ongoing, no
      // deadline is guessed (the outage service's own rule).
      if (!(e instanceof AppError && e.code === 'CALENDAR_YEAR_UNKNOWN')) throw e;
    }
  }
}

/** A fleet company, drivers with two certificates or a long history, a suspended or revoked driver, a 网约车 platform. */
function pickHolders(plan: DemoProvincePlan): { holder: DemoHolder; holds: string }[] {
  const byHolder = new Map<string, { holder: DemoHolder; licences: DemoProvincePlan['licences'] }>();
  for (const l of plan.licences) {
    if (l.scenario === 'defect') continue;
    const entry = byHolder.get(l.holder.id) ?? { holder: l.holder, licences: [] };
    entry.licences.push(l);
    byHolder.set(l.holder.id, entry);
  }
  const entries = [...byHolder.values()];
  const kinds = (e: (typeof entries)[number]) => new Set(e.licences.map((l) => l.kind.slice(-3)));
  const chosen = [
    entries.reduce((a, b) => (b.licences.length > a.licences.length ? b : a)),
    entries.find((e) => kinds(e).has('071') && kinds(e).has('072')),
    entries.find((e) => e.holder.idType === '111' && e.licences.some((l) => l.scenario === 'renewed')),
    entries.find(
      (e) =>
        e.holder.idType === '111' &&
        e.licences.some((l) => l.scenario === 'suspended' || l.scenario === 'revoked'),
    ),
    entries.find((e) => kinds(e).has('074')),
  ].filter((e): e is (typeof entries)[number] => e !== undefined);
  return [...new Set(chosen)].map((e) => ({ holder: e.holder, holds: describeHoldings(e.licences) }));
}

const scenarioNotes: Partial<Record<DemoProvincePlan['licences'][number]['scenario'], string>> = {
  changed: '变更',
  renewed: '多次换发',
  paper: '纸质未转换',
  converted: '纸质已转换',
  revoked: '已注销',
  suspended: '暂停',
  resumed: '暂停后恢复',
  expired: '已过期',
};

function describeHoldings(licences: DemoProvincePlan['licences']): string {
  const byKind = new Map<string, DemoProvincePlan['licences']>();
  for (const l of licences) byKind.set(l.kind, [...(byKind.get(l.kind) ?? []), l]);
  return [...byKind]
    .map(([kind, list]) => {
      const notes = new Map<string, number>();
      for (const l of list) {
        const note = scenarioNotes[l.scenario];
        if (note) notes.set(note, (notes.get(note) ?? 0) + 1);
      }
      const detail = [...notes].map(([note, n]) => (list.length > 1 ? `${note} ${n}` : note)).join('，');
      return `${kindShortName(kind)}×${list.length}${detail ? `（${detail}）` : ''}`;
    })
    .join('、');
}
