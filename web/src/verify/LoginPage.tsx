import { SafetyOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input } from 'antd';
import { useState } from 'react';
import { ApiError, api } from '../shared/api.ts';
import type { Officer } from './types.ts';

/** Staff sign-in; only accounts whose role may verify (执法人员) get past it. */
export function LoginPage({ onSignedIn }: { onSignedIn: (token: string, officer: Officer) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(values: { username: string; password: string }) {
    setBusy(true);
    setError(null);
    try {
      const login = await api<{ token: string }>('/api/v1/auth/login', { method: 'POST', body: values });
      const me = await api<{
        user: { displayName: string; regionCode: string; regionName?: string; department?: string };
        permissions: string[];
        roleName: string;
      }>('/api/v1/auth/me', { token: login.token });
      if (!me.permissions.includes('certificates.verify')) {
        await api('/api/v1/auth/logout', { method: 'POST', token: login.token }).catch(() => {});
        setError(`该账户（${me.roleName}）没有查验权限，请使用执法人员账户登录`);
        return;
      }
      onSignedIn(login.token, {
        username: values.username,
        displayName: me.user.displayName,
        roleName: me.roleName,
        regionName: me.user.regionName ?? me.user.regionCode,
      });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '登录失败');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page">
      <div className="banner" style={{ paddingTop: 36, paddingBottom: 28 }}>
        <h2>
          <SafetyOutlined /> 电子证照查验
        </h2>
        <p>辽宁省道路运输电子证照 · 执法人员</p>
      </div>
      <div className="content">
        <Card title="工作人员登录" variant="borderless">
          <Form layout="vertical" onFinish={submit} requiredMark={false}>
            <Form.Item name="username" label="用户名" rules={[{ required: true, message: '请输入用户名' }]}>
              <Input autoComplete="username" />
            </Form.Item>
            <Form.Item name="password" label="密码" rules={[{ required: true, message: '请输入密码' }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
            <Button type="primary" htmlType="submit" block size="large" loading={busy}>
              登录
            </Button>
          </Form>
        </Card>
        <p className="muted" style={{ fontSize: 13, padding: '12px 4px' }}>
          登录后本机将缓存信任列表与已签名的证照状态列表，断网时可离线查验。
        </p>
      </div>
    </div>
  );
}
