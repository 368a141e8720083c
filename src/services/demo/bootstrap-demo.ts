import { randomInt } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { RoleId } from '../../domain/roles.ts';
import type { Runtime } from '../../runtime.ts';
import { staffUsers } from '../../store/schema.ts';
import type { Actor } from '../context.ts';
import { initProvinceKeys } from '../keys/init-keys.ts';
import { createStaff } from '../staff/create-staff.ts';
import { DEMO_CLIENT_NAME, type SeedDemoProvinceResult, seedDemoProvince } from './seed-demo-province.ts';
import { formatDemoProvinceSummary } from './summarize-demo-province.ts';

const demoAccounts: {
  username: string;
  role: RoleId;
  regionCode: string;
  displayName: string;
  department: string;
}[] = [
  {
    username: 'admin',
    role: 'province-admin',
    regionCode: '210000',
    displayName: '省厅管理员',
    department: '辽宁省交通运输事务服务中心',
  },
  {
    username: 'supervisor',
    role: 'supervisor',
    regionCode: '210000',
    displayName: '省级监督员',
    department: '辽宁省交通运输厅',
  },
  {
    username: 'sy-manager',
    role: 'ecert-manager',
    regionCode: '210100',
    displayName: '沈阳电子证照专员',
    department: '沈阳市交通运输局',
  },
  {
    username: 'sy-officer',
    role: 'issuing-officer',
    regionCode: '210100',
    displayName: '沈阳签发经办',
    department: '沈阳市交通运输局',
  },
  {
    username: 'hp-officer',
    role: 'issuing-officer',
    regionCode: '210102',
    displayName: '和平区签发经办',
    department: '沈阳市和平区交通运输局',
  },
  {
    username: 'dl-officer',
    role: 'issuing-officer',
    regionCode: '210200',
    displayName: '大连签发经办',
    department: '大连市交通运输局',
  },
  {
    username: 'dl-inspector',
    role: 'enforcement-officer',
    regionCode: '210200',
    displayName: '大连执法人员',
    department: '大连市交通运输综合行政执法队',
  },
];

/** A password that satisfies the strength rule and is easy to type from the console. */
function demoPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  let s = '';
  for (let i = 0; i < 8; i++) s += alphabet[randomInt(alphabet.length)];
  return `Rc-${s}-${randomInt(10, 99)}`;
}

const holderTypeNames: Record<string, string> = { '001': '企业', '111': '个人' };

/** What the seeding leaves for people to try; synthetic demo identities, never real ones. */
function demoProvinceText(r: SeedDemoProvinceResult): string {
  const lines = [
    `演示省份数据（${DEMO_CLIENT_NAME}推送 ${r.records} 条记录，用时 ${(r.ms / 1000).toFixed(1)} 秒）：`,
    ...formatDemoProvinceSummary(r.summary),
  ];
  if (r.client?.secret) {
    lines.push(
      `  演示接入系统 ${DEMO_CLIENT_NAME}：clientId ${r.client.clientId}  secret ${r.client.secret}`,
    );
  }
  lines.push('可在运证通中体验的持证主体（演示用虚构身份）：');
  for (const { holder, holds } of r.holders) {
    lines.push(
      `  ${(holderTypeNames[holder.idType] ?? holder.idType).padEnd(3, '　')}${holder.id}  ${holder.name}  手机 ${holder.phone}`,
      `      持有：${holds}`,
    );
  }
  return lines.join('\n');
}

/**
 * Demo mode only: the province's keys (under the demo key-encryption key), a set of staff
 * accounts across regions and a living demo province (seed-demo-province.ts), printed on first
 * start and kept in the data directory.
 */
export async function bootstrapDemo(
  runtime: Runtime,
  opts: { print: (line?: string) => void },
): Promise<void> {
  if (runtime.config.mode !== 'demo') throw new Error('bootstrapDemo runs in demo mode only');
  const actor: Actor = { type: 'system', id: 'demo-bootstrap', regionCode: runtime.config.province.code };
  const ctx = {
    db: runtime.store.db,
    config: runtime.config,
    clock: runtime.clock,
    vault: runtime.vault,
    requestId: 'demo-bootstrap',
  };
  const file = path.join(runtime.config.dataDir, 'demo-accounts.txt');

  if (!runtime.keyring.trust()) {
    await initProvinceKeys(ctx, actor, { force: false });
    await runtime.keyring.reload();
    opts.print('已生成演示用省级根证书与电子证照专用章签章证书（演示密钥，仅供体验）。');
  }

  const [count] = await runtime.store.db.select({ n: sql<number>`count(*)::int` }).from(staffUsers);
  if (Number(count?.n ?? 0) === 0) {
    const lines: string[] = [];
    for (const a of demoAccounts) {
      const password = demoPassword();
      await createStaff(
        ctx,
        { type: 'cli', id: 'demo-bootstrap', regionCode: actor.regionCode },
        { ...a, password },
      );
      lines.push(
        `  ${a.username.padEnd(14)} ${password.padEnd(18)} ${a.role.padEnd(20)} ${a.regionCode} ${a.displayName}`,
      );
    }
    const text = ['演示账户（用户名 / 密码 / 角色 / 区划）：', ...lines].join('\n');
    writeFileSync(file, `${text}\n`, { mode: 0o600 });
    opts.print(text);
  } else if (existsSync(file)) {
    opts.print(readFileSync(file, 'utf8').trimEnd());
  }

  const seed = await seedDemoProvince(
    {
      db: runtime.store.db,
      config: runtime.config,
      clock: runtime.clock,
      vault: runtime.vault,
      keyring: runtime.keyring,
    },
    { print: opts.print },
  );
  if (seed.seeded) {
    const text = demoProvinceText(seed);
    appendFileSync(file, `${text}\n`, { mode: 0o600 });
    opts.print(text);
  }
  opts.print(`（演示账户保存在 ${file}）`);
}
