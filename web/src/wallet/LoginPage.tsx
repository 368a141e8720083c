import { SafetyCertificateOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Select, Space } from 'antd';
import { useEffect, useState } from 'react';
import { ApiError, api } from '../shared/api.ts';

interface Credentials {
  idType: string;
  id: string;
  phone: string;
  code?: string;
}

const idTypes = [
  { value: '111', label: '居民身份证' },
  { value: '001', label: '统一社会信用代码（企业）' },
  { value: '099', label: '其它组织有效证件' },
  { value: '414', label: '普通护照' },
  { value: '516', label: '港澳居民来往内地通行证' },
  { value: '511', label: '台湾居民来往大陆通行证' },
];

/** 运证通 sign-in: identity and phone on the certificates, then the one-time code. */
export function LoginPage({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [form] = Form.useForm<Credentials>();
  const { message } = App.useApp();
  const [sending, setSending] = useState(false);
  const [signingIn, setSigningIn] = useState(false);
  const [wait, setWait] = useState(0);
  const [demoCode, setDemoCode] = useState<string | null>(null);
  const [sentNote, setSentNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (wait <= 0) return;
    const t = setTimeout(() => setWait((w) => w - 1), 1000);
    return () => clearTimeout(t);
  }, [wait]);

  async function requestCode() {
    setError(null);
    let values: Credentials;
    try {
      values = await form.validateFields(['idType', 'id', 'phone']);
    } catch {
      return;
    }
    setSending(true);
    try {
      const r = await api<{ message: string; resendAfterSeconds: number; demoCode?: string }>(
        '/api/v1/wallet/otp',
        { method: 'POST', body: { idType: values.idType, id: values.id.trim(), phone: values.phone.trim() } },
      );
      setSentNote(r.message);
      setDemoCode(r.demoCode ?? null);
      setWait(r.resendAfterSeconds);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '获取验证码失败');
    } finally {
      setSending(false);
    }
  }

  async function signIn(values: Credentials) {
    setError(null);
    setSigningIn(true);
    try {
      const r = await api<{ token: string }>('/api/v1/wallet/login', {
        method: 'POST',
        body: { idType: values.idType, id: values.id.trim(), phone: values.phone.trim(), code: values.code },
      });
      message.success('登录成功');
      onSignedIn(r.token);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '登录失败');
    } finally {
      setSigningIn(false);
    }
  }

  return (
    <div className="page">
      <div className="banner" style={{ paddingTop: 36, paddingBottom: 28 }}>
        <h2>
          <SafetyCertificateOutlined /> 运证通
        </h2>
        <p>辽宁省道路运输电子证照 · 持证人服务</p>
      </div>
      <div className="content">
        <Card title="验证码登录" variant="borderless">
          <Form
            form={form}
            layout="vertical"
            initialValues={{ idType: '111' }}
            onFinish={signIn}
            requiredMark={false}
          >
            <Form.Item name="idType" label="证件类型" rules={[{ required: true, message: '请选择证件类型' }]}>
              <Select options={idTypes} />
            </Form.Item>
            <Form.Item
              name="id"
              label="证件号码"
              rules={[
                { required: true, whitespace: true, message: '请输入证件号码或统一社会信用代码' },
                { max: 50, message: '证件号码过长' },
              ]}
            >
              <Input placeholder="与证照上的持证主体一致" autoComplete="off" inputMode="text" />
            </Form.Item>
            <Form.Item
              name="phone"
              label="手机号码"
              rules={[
                { required: true, message: '请输入手机号码' },
                { pattern: /^1[3-9]\d{9}$/, message: '请输入 11 位手机号码' },
              ]}
            >
              <Input placeholder="登记的手机号码" inputMode="tel" maxLength={11} autoComplete="tel" />
            </Form.Item>
            <Form.Item label="短信验证码" required>
              <Space.Compact style={{ width: '100%' }}>
                <Form.Item
                  name="code"
                  noStyle
                  rules={[{ required: true, pattern: /^\d{6}$/, message: '请输入 6 位验证码' }]}
                >
                  <Input
                    placeholder="6 位数字"
                    inputMode="numeric"
                    maxLength={6}
                    autoComplete="one-time-code"
                  />
                </Form.Item>
                <Button onClick={requestCode} loading={sending} disabled={wait > 0}>
                  {wait > 0 ? `${wait} 秒后重发` : '获取验证码'}
                </Button>
              </Space.Compact>
            </Form.Item>
            {sentNote && !error && (
              <Alert type="info" showIcon title={sentNote} style={{ marginBottom: 12 }} />
            )}
            {demoCode && (
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 12 }}
                title={
                  <span>
                    演示模式验证码：<b data-testid="demo-code">{demoCode}</b>
                  </span>
                }
                description="演示环境不发送短信；生产环境验证码仅通过短信送达。"
                action={
                  <Button size="small" onClick={() => form.setFieldValue('code', demoCode)}>
                    填入
                  </Button>
                }
              />
            )}
            {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
            <Button type="primary" htmlType="submit" block size="large" loading={signingIn}>
              登录
            </Button>
          </Form>
        </Card>
        <p className="muted" style={{ fontSize: 13, padding: '12px 4px' }}>
          仅本人可查看名下电子证照。连续输错验证码将暂时锁定登录。
        </p>
      </div>
    </div>
  );
}
