import { Alert, Badge, Card, Empty, List, Skeleton } from 'antd';
import { useEffect, useState } from 'react';
import { ApiError } from '../shared/api.ts';
import { navigate } from '../shared/router.ts';
import type { WalletSession } from './session.ts';
import type { InboxMessage } from './types.ts';

/** Deliveries (签发、年审、变更、注销…), newest first; opening one marks it read. */
export function InboxPage({ session }: { session: WalletSession }) {
  const [items, setItems] = useState<InboxMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    session
      .call<{ items: InboxMessage[] }>('/api/v1/wallet/inbox?limit=100')
      .then((r) => setItems(r.items))
      .catch((e) => setError(e instanceof ApiError ? e.message : '加载失败'));
  }, [session]);

  async function open(m: InboxMessage) {
    if (!m.read) {
      try {
        const r = await session.call<{ readAt: string }>(`/api/v1/wallet/inbox/${m.id}/read`, {
          method: 'POST',
        });
        setItems(
          (list) => list?.map((x) => (x.id === m.id ? { ...x, read: true, readAt: r.readAt } : x)) ?? null,
        );
        window.dispatchEvent(new Event('roadcert:inbox-changed'));
      } catch {
        // reading still works; the mark is retried next time
      }
    }
    navigate(`/wallet/certificates/${encodeURIComponent(m.identifier)}`);
  }

  if (error) return <Alert type="error" showIcon title={error} style={{ margin: 12 }} />;
  if (!items) return <Skeleton active style={{ padding: 12 }} />;
  return (
    <div className="content">
      <Card variant="borderless" styles={{ body: { padding: 0 } }}>
        {items.length === 0 ? (
          <Empty description="暂无消息" style={{ padding: 24 }} />
        ) : (
          <List
            dataSource={items}
            renderItem={(m) => (
              <List.Item
                onClick={() => open(m)}
                style={{ padding: '12px 16px', cursor: 'pointer' }}
                data-testid="inbox-item"
                data-read={m.read}
              >
                <List.Item.Meta
                  avatar={<Badge dot={!m.read} offset={[-2, 4]} />}
                  title={<span style={{ fontWeight: m.read ? 400 : 600 }}>{m.title}</span>}
                  description={`${new Date(m.createdAt).toLocaleString('zh-CN')}${m.read ? ' · 已读' : ' · 未读'}`}
                />
              </List.Item>
            )}
          />
        )}
      </Card>
    </div>
  );
}
