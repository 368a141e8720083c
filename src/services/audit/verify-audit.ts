import { and, asc, eq, gt } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { auditHeads, auditLog } from '../../store/schema.ts';
import { auditHash, GENESIS_HASH } from './append-audit.ts';

export interface ChainProblem {
  chain: string;
  seq: number | null;
  kind: 'hash_mismatch' | 'broken_link' | 'gap' | 'head_mismatch' | 'missing_head';
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  chains: { chain: string; records: number; headSeq: number | null }[];
  records: number;
  problems: ChainProblem[];
}

/**
 * Walks every chain in order and recomputes each record's SM3: an edited record breaks its own
 * hash, a deleted one leaves a gap or a broken link, and a truncated tail no longer matches the
 * chain head. Reads in pages, so it runs in constant memory on a large trail.
 */
export async function verifyAuditTrail(
  db: Db,
  opts: { pageSize?: number; onProgress?: (recordsChecked: number, chain: string) => void } = {},
): Promise<AuditVerification> {
  const pageSize = opts.pageSize ?? 2000;
  const heads = await db.select().from(auditHeads);
  const chainNames = new Set(heads.map((h) => h.chain));
  const listed = await db.selectDistinct({ chain: auditLog.chain }).from(auditLog);
  for (const { chain } of listed) chainNames.add(chain);

  const problems: ChainProblem[] = [];
  const chains: AuditVerification['chains'] = [];
  let total = 0;
  for (const chain of [...chainNames].sort()) {
    const head = heads.find((h) => h.chain === chain);
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let count = 0;
    let lastSeq = 0;
    for (;;) {
      const rows = await db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.chain, chain), gt(auditLog.seq, lastSeq)))
        .orderBy(asc(auditLog.seq))
        .limit(pageSize);
      for (const r of rows) {
        const seq = Number(r.seq);
        if (seq !== expectedSeq) {
          problems.push({
            chain,
            seq,
            kind: 'gap',
            message: `链 ${chain} 缺少第 ${expectedSeq}–${seq - 1} 条记录`,
          });
        }
        if (r.prevHash !== prevHash) {
          problems.push({
            chain,
            seq,
            kind: 'broken_link',
            message: `链 ${chain} 第 ${seq} 条记录的前序哈希不符`,
          });
        }
        const recomputed = auditHash({
          chain: r.chain,
          seq,
          at: r.at,
          actorType: r.actorType,
          actorId: r.actorId,
          actorRole: r.actorRole,
          actorRegion: r.actorRegion,
          action: r.action,
          targetType: r.targetType,
          targetId: r.targetId,
          regionCode: r.regionCode,
          requestId: r.requestId,
          outcome: r.outcome,
          details: r.details,
          prevHash: r.prevHash,
        });
        if (recomputed !== r.hash) {
          problems.push({
            chain,
            seq,
            kind: 'hash_mismatch',
            message: `链 ${chain} 第 ${seq} 条记录内容被修改`,
          });
        }
        prevHash = r.hash;
        expectedSeq = seq + 1;
        lastSeq = seq;
        count++;
      }
      opts.onProgress?.(total + count, chain);
      if (rows.length < pageSize) break;
    }
    total += count;
    if (!head) {
      problems.push({ chain, seq: null, kind: 'missing_head', message: `链 ${chain} 缺少链头记录` });
    } else if (Number(head.seq) !== lastSeq || head.hash !== prevHash) {
      problems.push({
        chain,
        seq: Number(head.seq),
        kind: 'head_mismatch',
        message: `链 ${chain} 的链头（第 ${head.seq} 条）与现存最后一条记录（第 ${lastSeq} 条）不一致，末尾记录可能被删除`,
      });
    }
    chains.push({ chain, records: count, headSeq: head ? Number(head.seq) : null });
  }
  return { ok: problems.length === 0, chains, records: total, problems };
}

export function assertAuditIntact(v: AuditVerification): void {
  if (!v.ok) {
    throw new AppError('AUDIT_CHAIN_BROKEN', `审计日志链校验失败：发现 ${v.problems.length} 处问题`, {
      details: { problems: v.problems.slice(0, 20) },
    });
  }
}
