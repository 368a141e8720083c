import { count, eq, sql } from 'drizzle-orm';
import { dateInTimeZone } from '../../domain/dates.ts';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import type { Db } from '../../store/db.ts';
import {
  certificates,
  deliveries,
  holders,
  licences,
  nonstandardItems,
  outages,
} from '../../store/schema.ts';

export interface DemoProvinceSummary {
  certificatesByStatus: Partial<Record<CertificateStatus, number>>;
  /** Licences whose certificate is still paper only (存量纸质证照). */
  paperLicences: number;
  kinds: number;
  /** Distinct cities (first four digits of the region code) with licences. */
  cities: number;
  holders: number;
  deliveries: number;
  /** Open non-standard items by rule code; one item may carry several codes. */
  openNonstandardByCode: Record<string, number>;
  openNonstandard: number;
  outages: { regionCode: string; status: string; deadline: Date | null }[];
}

const int = (column: unknown) => sql<number>`count(distinct ${column})::int`;

/** What the demo database holds now, for the printed summary and the test. */
export async function summarizeDemoProvince(db: Db): Promise<DemoProvinceSummary> {
  const byStatus = await db
    .select({ status: certificates.status, n: count() })
    .from(certificates)
    .groupBy(certificates.status);
  const [spread] = await db
    .select({
      kinds: int(licences.kindCode),
      cities: int(sql`substr(${licences.regionCode}, 1, 4)`),
      paper: sql<number>`(count(*) filter (where ${licences.state} = 'paper'))::int`,
    })
    .from(licences);
  const [holderCount] = await db.select({ n: count() }).from(holders);
  const [deliveryCount] = await db.select({ n: count() }).from(deliveries);
  const open = await db
    .select({ errors: nonstandardItems.errors })
    .from(nonstandardItems)
    .where(eq(nonstandardItems.status, 'open'));
  const openNonstandardByCode: Record<string, number> = {};
  for (const item of open) {
    for (const code of new Set((item.errors as { code: string }[]).map((e) => e.code))) {
      openNonstandardByCode[code] = (openNonstandardByCode[code] ?? 0) + 1;
    }
  }
  const outageRows = await db
    .select({ regionCode: outages.regionCode, status: outages.status, deadline: outages.deadline })
    .from(outages)
    .orderBy(outages.startedAt);
  return {
    certificatesByStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
    paperLicences: Number(spread?.paper ?? 0),
    kinds: Number(spread?.kinds ?? 0),
    cities: Number(spread?.cities ?? 0),
    holders: Number(holderCount?.n ?? 0),
    deliveries: Number(deliveryCount?.n ?? 0),
    openNonstandardByCode,
    openNonstandard: open.length,
    outages: outageRows,
  };
}

const outageStatusNames: Record<string, string> = {
  ongoing: '故障中',
  cleared: '已排除，待补推',
  completed: '已补推完成',
  overdue: '补推逾期',
};

/** The summary as printed at start-up and kept in demo-accounts.txt (Chinese, for people). */
export function formatDemoProvinceSummary(s: DemoProvinceSummary): string[] {
  const total = Object.values(s.certificatesByStatus).reduce((a, b) => a + (b ?? 0), 0);
  const statuses = (Object.keys(certificateStatusCodes) as CertificateStatus[])
    .map((st) => `${certificateStatusCodes[st].name} ${s.certificatesByStatus[st] ?? 0}`)
    .join('、');
  const codes = Object.entries(s.openNonstandardByCode)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code} ${n}`)
    .join('、');
  return [
    `  电子证照 ${total} 张（${statuses}）`,
    `  纸质证照未转换 ${s.paperLicences} 本；证照类型 ${s.kinds} 类；覆盖 ${s.cities} 个地市；持证主体 ${s.holders} 个；已投递消息 ${s.deliveries} 条`,
    `  待补正不规范数据 ${s.openNonstandard} 条（${codes || '无'}）`,
    ...s.outages.map(
      (o) =>
        `  故障报备 ${o.regionCode}：${outageStatusNames[o.status] ?? o.status}${o.deadline ? `，补推截止 ${dateInTimeZone(o.deadline)} 24:00（北京时间）` : ''}`,
    ),
  ];
}
