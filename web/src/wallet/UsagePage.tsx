import { Alert, Button, Card, Empty, List, Skeleton, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../shared/api.ts';
import type { WalletSession } from './session.ts';

interface UsageItem {
  id: string;
  at: string;
  event: 'show' | 'verify' | 'share' | 'download';
  identifier: string;
  kind: { code: string; name: string };
  verification: {
    codeType: string;
    officerRole: string;
    agency: string;
    place: string | null;
    result: 'valid' | 'invalid';
    recognized: boolean | null;
    outcomeReason: string | null;
  } | null;
  share: {
    relyingParty: string;
    basis: 'consent' | 'duty' | 'code';
    purpose: string | null;
    fields: { key: string; label: string }[];
  } | null;
}

const events: Record<UsageItem['event'], { text: string; color: string }> = {
  show: { text: '亮证', color: 'blue' },
  verify: { text: '查验', color: 'purple' },
  share: { text: '用证方读取', color: 'gold' },
  download: { text: '下载', color: 'cyan' },
};
const bases = { consent: '本人授权', duty: '依职能授权', code: '用证码' } as const;

function detail(item: UsageItem): string {
  const v = item.verification;
  if (v) {
    const outcome =
      v.recognized === null ? '' : v.recognized ? '，认可' : `，不认可（${v.outcomeReason ?? ''}）`;
    return `${v.agency}${v.officerRole ? ` ${v.officerRole}` : ''}${v.place ? ` · ${v.place}` : ''} · ${
      v.result === 'valid' ? '查验通过' : '查验未通过'
    }${outcome}`;
  }
  const s = item.share;
  if (s) {
    return `${s.relyingParty} · ${bases[s.basis]}${s.purpose ? ` · ${s.purpose}` : ''} · 读取：${s.fields
      .map((f) => f.label)
      .join('、')}`;
  }
  return '';
}

/** 使用记录: every show, verification, relying-party read and download of the holder's certificates. */
export function UsagePage({ session }: { session: WalletSession }) {
  const [items, setItems] = useState<UsageItem[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (from: string | null) => {
      setLoading(true);
      try {
        const q = new URLSearchParams({ limit: '20', ...(from ? { cursor: from } : {}) });
        const r = await session.call<{ items: UsageItem[]; nextCursor: string | null }>(
          `/api/v1/wallet/usage?${q}`,
        );
        setItems((list) => (from ? [...(list ?? []), ...r.items] : r.items));
        setCursor(r.nextCursor);
      } catch (e) {
        setError(e instanceof ApiError ? e.message : '加载失败');
      } finally {
        setLoading(false);
      }
    },
    [session],
  );
  useEffect(() => {
    void load(null);
  }, [load]);

  if (error) return <Alert type="error" showIcon title={error} style={{ margin: 12 }} />;
  if (!items) return <Skeleton active style={{ padding: 12 }} />;
  return (
    <div className="content">
      <p className="muted" style={{ fontSize: 13, margin: '0 4px 8px' }}>
        您的电子证照每一次亮证、被查验、被用证方读取和下载都记录在此。
      </p>
      <Card variant="borderless" styles={{ body: { padding: 0 } }}>
        {items.length === 0 ? (
          <Empty description="暂无使用记录" style={{ padding: 24 }} />
        ) : (
          <List
            dataSource={items}
            renderItem={(u) => (
              <List.Item style={{ padding: '12px 16px', display: 'block' }} data-testid="usage-item">
                <div style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
                  <Tag color={events[u.event].color} style={{ marginInlineEnd: 0 }}>
                    {events[u.event].text}
                  </Tag>
                  <span style={{ flex: 1, fontWeight: 500 }}>{u.kind.name}</span>
                </div>
                <div className="muted" style={{ fontSize: 12, marginTop: 4 }}>
                  {new Date(u.at).toLocaleString('zh-CN')}
                </div>
                {detail(u) && (
                  <div className="muted" style={{ fontSize: 13, marginTop: 4 }}>
                    {detail(u)}
                  </div>
                )}
              </List.Item>
            )}
          />
        )}
      </Card>
      {cursor && (
        <Button block style={{ marginTop: 12 }} loading={loading} onClick={() => load(cursor)}>
          加载更多
        </Button>
      )}
    </div>
  );
}
