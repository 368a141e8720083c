/** Certificate status as the holder and the officer read it: the badge text and its colour. */
export type CertificateStatus = 'valid' | 'suspended' | 'superseded' | 'revoked' | 'expired';

export const statusBadges: Record<CertificateStatus, { text: string; color: string }> = {
  valid: { text: '有效', color: 'success' },
  superseded: { text: '已换发', color: 'default' },
  revoked: { text: '已注销', color: 'error' },
  expired: { text: '已过期', color: 'warning' },
  suspended: { text: '暂停', color: 'orange' },
};

/** National status codes (证照状态代码) to our status names. */
export const statusByCode: Record<string, CertificateStatus> = {
  '10': 'valid',
  '01': 'superseded',
  '02': 'expired',
  '03': 'revoked',
  '09': 'suspended',
};

export function badgeOf(status: string): { text: string; color: string } {
  return statusBadges[status as CertificateStatus] ?? { text: status, color: 'default' };
}

/** 有效期 as printed: both ends, an open end, or 长期有效 when the kind has no term. */
export function validity(from: string | null, to: string | null): string {
  if (!from && !to) return '长期有效';
  if (!to) return `${from} 起长期有效`;
  return `${from ?? '—'} 至 ${to}`;
}
