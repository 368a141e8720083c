/**
 * Offline 查验: the trust list and the signed status list cached from the server, and the check
 * made with them when the network is gone. A check made offline is queued and uploaded later;
 * the server's own verdict then goes on the record.
 */
import { api } from '../../shared/api.ts';

export type { StatusList } from './status-list.ts';

import { statusByCode } from '../../shared/status.ts';
import { checkCode } from './codes.ts';
import { type StatusList, statusListSigned } from './status-list.ts';
import { kv } from './store.ts';
import { parseSealCertificate, type SealCertificate } from './x509.ts';

export interface TrustList {
  sealKeyId: string;
  sealCertificate: string;
  retiredSealCertificates: { keyId: string; certificate: string }[];
}

export interface OfflineMaterial {
  seals: SealCertificate[];
  statusList: StatusList;
  /** identifier → status, for the entries. */
  statuses: Map<string, StatusList['entries'][number]['status']>;
}

export const reasonMessages: Record<string, string> = {
  MALFORMED: '扫描内容不是本平台的亮证码或证照二维码',
  UNKNOWN_SEAL: '所用的印章证书不在信任列表中',
  SIGNATURE_INVALID: '签名验证未通过，内容可能被篡改',
  SEAL_OUTSIDE_VALIDITY: '签章时间不在印章证书有效期内',
  TOKEN_EXPIRED: '亮证码已过期，请持证人刷新后重新出示',
  TOKEN_REUSED: '该亮证码已被查验过，不能重复使用，请持证人刷新后重新出示',
  CERTIFICATE_UNKNOWN: '平台中没有该电子证照',
  DIGEST_MISMATCH: '二维码与平台中的证照数据不一致',
  SUPERSEDED: '该电子证照版本已换发，请出示最新版本',
  REVOKED: '该电子证照已注销',
  SUSPENDED: '该电子证照已暂停使用',
  EXPIRED: '该电子证照已过期',
  STATUS_LIST_STALE: '离线状态列表已超过最长有效期，请联网更新后再查验',
  NO_OFFLINE_DATA: '本机没有离线查验所需的信任列表与状态列表，请先联网登录一次',
};

const statusReasons = {
  revoked: 'REVOKED',
  suspended: 'SUSPENDED',
  superseded: 'SUPERSEDED',
  expired: 'EXPIRED',
} as const;

function sealsOf(trust: TrustList): SealCertificate[] {
  const out: SealCertificate[] = [];
  for (const [keyId, pem] of [
    [trust.sealKeyId, trust.sealCertificate] as const,
    ...trust.retiredSealCertificates.map((r) => [r.keyId, r.certificate] as const),
  ]) {
    try {
      out.push(parseSealCertificate(keyId, pem));
    } catch {
      // an entry we cannot read vouches for nothing
    }
  }
  return out;
}

/**
 * Fetches the trust list and the status list, checks the list's signature, and keeps both.
 * Throws when offline or when the list does not verify (the old cache is then kept).
 */
export async function refreshOfflineMaterial(token: string): Promise<OfflineMaterial> {
  const trust = await api<TrustList>('/api/v1/trust');
  const list = await api<StatusList>('/api/v1/status-list', { token });
  const seals = sealsOf(trust);
  if (!statusListSigned(list, seals)) throw new Error('状态列表签名验证未通过，未更新离线数据');
  await kv.set('trust', trust);
  await kv.set('statusList', list);
  return material(seals, list);
}

function material(seals: SealCertificate[], statusList: StatusList): OfflineMaterial {
  return { seals, statusList, statuses: new Map(statusList.entries.map((e) => [e.identifier, e.status])) };
}

/** The cached material, re-verified (a tampered cache is refused like a tampered download). */
export async function loadOfflineMaterial(): Promise<OfflineMaterial | null> {
  const trust = await kv.get<TrustList>('trust');
  const list = await kv.get<StatusList>('statusList');
  if (!trust || !list) return null;
  const seals = sealsOf(trust);
  if (!statusListSigned(list, seals)) return null;
  return material(seals, list);
}

export interface OfflineResult {
  result: 'valid' | 'invalid';
  reason?: string;
  message: string;
  codeType: 'token' | 'document' | 'unknown';
  identifier?: string;
  version?: number;
  kindCode?: string;
  holderName?: string;
  certificateNumber?: string;
  status?: string;
  statusAsOf: string;
  statusAgeSeconds: number;
  checkedAt: string;
}

/** The offline check: signature and seal, token expiry and single use, then the status list. */
export async function verifyOffline(
  code: string,
  m: OfflineMaterial,
  now = new Date(),
): Promise<OfflineResult> {
  const asOf = new Date(m.statusList.issuedAt);
  const age = Math.max(0, Math.round((now.getTime() - asOf.getTime()) / 1000));
  const base = { statusAsOf: m.statusList.issuedAt, statusAgeSeconds: age, checkedAt: now.toISOString() };
  const refuse = (reason: string, extra: Partial<OfflineResult> = {}): OfflineResult => ({
    ...base,
    codeType: 'unknown',
    ...extra,
    result: 'invalid',
    reason,
    message: reasonMessages[reason] ?? reason,
  });

  const checked = checkCode(code, m.seals);
  if (!checked.ok) return refuse(checked.reason, { codeType: checked.type });
  const c = checked.claims;
  const known: Partial<OfflineResult> & Pick<OfflineResult, 'codeType'> = {
    codeType: checked.type,
    identifier: c.identifier,
    version: c.version,
    ...(checked.type === 'token'
      ? {
          kindCode: checked.claims.kindCode,
          holderName: checked.claims.holderName,
          certificateNumber: checked.claims.certificateNumber,
        }
      : {}),
  };
  if (checked.type === 'token') {
    if (now.getTime() > checked.claims.expiresAt.getTime()) return refuse('TOKEN_EXPIRED', known);
    const nonces = (await kv.get<Record<string, number>>('nonces')) ?? {};
    if (nonces[checked.claims.nonce]) return refuse('TOKEN_REUSED', known);
    // Spent here; pruned once the token has lapsed anyway.
    for (const [n, exp] of Object.entries(nonces)) if (exp < now.getTime()) delete nonces[n];
    nonces[checked.claims.nonce] = checked.claims.expiresAt.getTime();
    await kv.set('nonces', nonces);
  }
  if (age > m.statusList.maxAgeSeconds) return refuse('STATUS_LIST_STALE', known);
  const listed = m.statuses.get(c.identifier);
  const signedStatus = checked.type === 'token' ? statusByCode[checked.claims.statusCode] : 'valid';
  const status = listed ?? signedStatus ?? 'valid';
  if (status !== 'valid') return refuse(statusReasons[status], { ...known, status });
  return {
    ...base,
    ...known,
    status,
    result: 'valid',
    message: '签名有效，离线状态列表中无注销、暂停或换发记录',
  };
}
