import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { RoleId } from '../../domain/roles.ts';
import type { Runtime } from '../../runtime.ts';
import { staffUsers } from '../../store/schema.ts';
import type { Actor } from '../context.ts';
import { initProvinceKeys } from '../keys/init-keys.ts';
import { createStaff } from '../staff/create-staff.ts';

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

/**
 * Demo mode only: the province's keys (under the demo key-encryption key) and a set of staff
 * accounts across regions, printed on first start and kept in the data directory.
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
  opts.print(`（演示账户保存在 ${file}）`);
}
