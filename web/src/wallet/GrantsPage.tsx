import { PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Empty,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Skeleton,
  Tag,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../shared/api.ts';
import type { WalletSession } from './session.ts';
import type { CertificateSummary } from './types.ts';

interface Grant {
  id: string;
  basis: 'consent' | 'duty';
  relyingParty: { id: string; name: string };
  certificates: { identifier: string; kind: { code: string; name: string }; certificateNumber: string }[];
  fields: { key: string; label: string }[];
  purpose: string;
  createdAt: string;
  expiresAt: string;
  withdrawnAt: string | null;
  state: 'active' | 'withdrawn' | 'expired';
}
interface RelyingParty {
  id: string;
  name: string;
  regionName: string;
}

const states = {
  active: { text: '生效中', color: 'success' },
  withdrawn: { text: '已撤回', color: 'default' },
  expired: { text: '已到期', color: 'warning' },
} as const;

const terms = [
  { value: 7, label: '7 天' },
  { value: 30, label: '30 天' },
  { value: 90, label: '90 天' },
  { value: 365, label: '1 年' },
];

/** 授权: the holder's consent grants to registered relying parties (用证方), and withdrawing them. */
export function GrantsPage({ session }: { session: WalletSession }) {
  const { message } = App.useApp();
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const load = useCallback(() => {
    session
      .call<{ items: Grant[] }>('/api/v1/wallet/grants')
      .then((r) => setGrants(r.items))
      .catch((e) => setError(e instanceof ApiError ? e.message : '加载失败'));
  }, [session]);
  useEffect(load, [load]);

  async function withdraw(id: string) {
    try {
      await session.call(`/api/v1/wallet/grants/${id}`, { method: 'DELETE' });
      message.success('授权已撤回，立即生效');
      load();
    } catch (e) {
      message.error(e instanceof ApiError ? e.message : '撤回失败');
    }
  }

  if (error) return <Alert type="error" showIcon title={error} style={{ margin: 12 }} />;
  if (!grants) return <Skeleton active style={{ padding: 12 }} />;
  return (
    <div className="content">
      <Button
        type="primary"
        block
        icon={<PlusOutlined />}
        onClick={() => setCreating(true)}
        style={{ marginBottom: 12 }}
      >
        授权用证方
      </Button>
      <p className="muted" style={{ fontSize: 13, margin: '0 4px 8px' }}>
        未经您授权，任何单位不能查询您的电子证照。授权可随时撤回，每次读取都记入使用记录。
      </p>
      {grants.length === 0 && <Empty description="暂无授权" />}
      {grants.map((g) => (
        <Card
          key={g.id}
          size="small"
          variant="borderless"
          style={{ marginBottom: 10 }}
          title={g.relyingParty.name}
          extra={<Tag color={states[g.state].color}>{states[g.state].text}</Tag>}
          data-testid="grant"
        >
          <div style={{ fontSize: 13, lineHeight: 1.8 }}>
            <div>证照：{g.certificates.map((c) => c.kind.name).join('、')}</div>
            <div>照面项：{g.fields.map((f) => f.label).join('、')}</div>
            <div>用途：{g.purpose}</div>
            <div className="muted">
              {new Date(g.createdAt).toLocaleDateString('zh-CN')} 授权，
              {g.withdrawnAt
                ? `${new Date(g.withdrawnAt).toLocaleDateString('zh-CN')} 撤回`
                : `${new Date(g.expiresAt).toLocaleDateString('zh-CN')} 到期`}
            </div>
          </div>
          {g.state === 'active' && (
            <Popconfirm
              title="撤回后用证方立即无法读取，确定撤回？"
              okText="撤回"
              cancelText="取消"
              onConfirm={() => withdraw(g.id)}
            >
              <Button danger block style={{ marginTop: 8 }}>
                撤回授权
              </Button>
            </Popconfirm>
          )}
        </Card>
      ))}
      {creating && (
        <NewGrant
          session={session}
          onClose={(created) => {
            setCreating(false);
            if (created) {
              load();
              window.scrollTo(0, 0);
            }
          }}
        />
      )}
    </div>
  );
}

function NewGrant({ session, onClose }: { session: WalletSession; onClose: (created: boolean) => void }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<{
    clientId: string;
    identifier: string;
    fields: string[];
    purpose: string;
    days: number;
  }>();
  const [parties, setParties] = useState<RelyingParty[]>([]);
  const [certificates, setCertificates] = useState<CertificateSummary[]>([]);
  const [fields, setFields] = useState<{ key: string; label: string }[]>([]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const identifier = Form.useWatch('identifier', form);

  useEffect(() => {
    session
      .call<{ items: RelyingParty[] }>('/api/v1/wallet/relying-parties')
      .then((r) => setParties(r.items))
      .catch(() => {});
    session
      .call<{ items: CertificateSummary[] }>('/api/v1/wallet/certificates')
      .then((r) => setCertificates(r.items.filter((c) => c.status === 'valid')))
      .catch(() => {});
  }, [session]);

  useEffect(() => {
    setFields([]);
    form.setFieldValue('fields', []);
    if (!identifier) return;
    session
      .call<{ items: { key: string; label: string }[] }>(
        `/api/v1/wallet/certificates/${encodeURIComponent(identifier)}/share-fields`,
      )
      .then((r) => setFields(r.items))
      .catch(() => {});
  }, [identifier, session, form]);

  async function submit(v: {
    clientId: string;
    identifier: string;
    fields: string[];
    purpose: string;
    days: number;
  }) {
    setSaving(true);
    setError(null);
    try {
      await session.call('/api/v1/wallet/grants', {
        method: 'POST',
        body: {
          clientId: v.clientId,
          identifiers: [v.identifier],
          fields: v.fields,
          purpose: v.purpose.trim(),
          expiresAt: new Date(Date.now() + v.days * 86_400_000).toISOString(),
        },
      });
      message.success('授权已生效');
      onClose(true);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '授权失败');
    } finally {
      setSaving(false);
    }
  }

  return (
    <Modal open title="授权用证方读取证照" onCancel={() => onClose(false)} footer={null} destroyOnHidden>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ days: 30 }} requiredMark={false}>
        <Form.Item name="clientId" label="用证方" rules={[{ required: true, message: '请选择用证方' }]}>
          <Select
            placeholder="已登记的用证单位"
            options={parties.map((p) => ({ value: p.id, label: `${p.name}（${p.regionName}）` }))}
          />
        </Form.Item>
        <Form.Item name="identifier" label="证照" rules={[{ required: true, message: '请选择证照' }]}>
          <Select
            placeholder="本人有效的电子证照"
            options={certificates.map((c) => ({
              value: c.identifier,
              label: `${c.kind.name} ${c.certificateNumber}`,
            }))}
          />
        </Form.Item>
        <Form.Item
          name="fields"
          label="可读取的照面项"
          rules={[{ required: true, message: '请至少选择一项' }]}
        >
          <Checkbox.Group options={fields.map((f) => ({ value: f.key, label: f.label }))} />
        </Form.Item>
        <Form.Item
          name="purpose"
          label="用途"
          rules={[{ required: true, min: 2, max: 200, whitespace: true, message: '请填写用途（2–200 字）' }]}
        >
          <Input placeholder="如：办理货运业务资格核验" />
        </Form.Item>
        <Form.Item name="days" label="有效期">
          <Select options={terms} />
        </Form.Item>
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
        <Button type="primary" htmlType="submit" block loading={saving}>
          确认授权
        </Button>
      </Form>
    </Modal>
  );
}
