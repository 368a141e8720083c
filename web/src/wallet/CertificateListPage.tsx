import { RightOutlined } from '@ant-design/icons';
import { Alert, Card, Empty, Segmented, Skeleton, Tag } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../shared/api.ts';
import { navigate } from '../shared/router.ts';
import { badgeOf } from '../shared/status.ts';
import type { WalletSession } from './session.ts';
import type { CertificateSummary, Profile } from './types.ts';

/** The holder's certificates (current version of each), valid ones first. */
export function CertificateListPage({ session }: { session: WalletSession }) {
  const [items, setItems] = useState<CertificateSummary[] | null>(null);
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState<'valid' | 'all'>('all');

  useEffect(() => {
    session
      .call<{ items: CertificateSummary[] }>('/api/v1/wallet/certificates')
      .then((r) => setItems(r.items))
      .catch((e) => setError(e instanceof ApiError ? e.message : '加载失败'));
    session
      .call<Profile>('/api/v1/wallet/me')
      .then(setProfile)
      .catch(() => {});
  }, [session]);

  const shown = useMemo(() => {
    const order = { valid: 0, suspended: 1, expired: 2, revoked: 3, superseded: 4 } as const;
    return (items ?? [])
      .filter((c) => filter === 'all' || c.status === 'valid')
      .sort((a, b) => order[a.status] - order[b.status] || a.kind.name.localeCompare(b.kind.name, 'zh'));
  }, [items, filter]);

  return (
    <>
      <div className="banner">
        <h2>{profile ? profile.name : '我的证照'}</h2>
        <p>
          {profile ? `${profile.holderType === 'person' ? '个人' : '单位'} · ${profile.id}` : '\u00a0'}
          {items ? ` · 共 ${items.length} 张电子证照` : ''}
        </p>
      </div>
      <div className="content">
        {error && <Alert type="error" showIcon title={error} />}
        {!items && !error && <Skeleton active />}
        {items && items.length > 0 && (
          <Segmented
            block
            style={{ marginBottom: 12 }}
            value={filter}
            onChange={(v) => setFilter(v as 'valid' | 'all')}
            options={[
              { label: '全部', value: 'all' },
              { label: '有效', value: 'valid' },
            ]}
          />
        )}
        {items && shown.length === 0 && <Empty description="暂无电子证照" />}
        {shown.map((c) => {
          const badge = badgeOf(c.status);
          return (
            <Card
              key={c.identifier}
              hoverable
              size="small"
              style={{
                marginBottom: 10,
                borderLeft: `4px solid ${c.status === 'valid' ? '#1d4f91' : '#d0d5dd'}`,
              }}
              onClick={() => navigate(`/wallet/certificates/${encodeURIComponent(c.identifier)}`)}
              data-testid="certificate-card"
            >
              <div style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
                <div style={{ flex: 1, minWidth: 0 }}>
                  <div style={{ fontSize: 16, fontWeight: 600, marginBottom: 4 }}>{c.kind.name}</div>
                  <div className="muted" style={{ fontSize: 13 }}>
                    证号 {c.certificateNumber}
                  </div>
                  <div className="muted" style={{ fontSize: 13 }}>
                    {c.regionName} · {c.validTo ? `有效期至 ${c.validTo}` : '长期有效'}
                  </div>
                </div>
                <Tag color={badge.color} style={{ marginInlineEnd: 0 }}>
                  {badge.text}
                </Tag>
                <RightOutlined className="muted" />
              </div>
            </Card>
          );
        })}
      </div>
    </>
  );
}
