import { KeyOutlined } from '@ant-design/icons';
import { Alert, App, Button, Modal, Typography } from 'antd';
import { useState } from 'react';
import { ApiError } from '../shared/api.ts';
import type { WalletSession } from './session.ts';

interface ShareCode {
  code: string;
  fields: { key: string; label: string }[];
  expiresAt: string;
}

/** 用证码: a one-time code for one read of this certificate by a relying party, shown once. */
export function ShareCodeButton({ session, identifier }: { session: WalletSession; identifier: string }) {
  const { message } = App.useApp();
  const [code, setCode] = useState<ShareCode | null>(null);
  const [busy, setBusy] = useState(false);

  async function create() {
    setBusy(true);
    try {
      setCode(
        await session.call<ShareCode>(
          `/api/v1/wallet/certificates/${encodeURIComponent(identifier)}/share-codes`,
          {
            method: 'POST',
            body: { ttlMinutes: 10 },
          },
        ),
      );
    } catch (e) {
      message.error(e instanceof ApiError ? e.message : '生成用证码失败');
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button block icon={<KeyOutlined />} loading={busy} onClick={create}>
        用证码
      </Button>
      <Modal open={code !== null} title="一次性用证码" onCancel={() => setCode(null)} footer={null}>
        {code && (
          <div style={{ textAlign: 'center' }}>
            <Typography.Text
              copyable={{ text: code.code }}
              style={{ fontSize: 30, letterSpacing: 4, fontWeight: 600 }}
            >
              {code.code}
            </Typography.Text>
            <p className="muted">
              有效至 {new Date(code.expiresAt).toLocaleTimeString('zh-CN')}，仅可读取一次
            </p>
            <Alert
              type="info"
              showIcon
              style={{ textAlign: 'left' }}
              title="请只交给您要办理业务的单位"
              description={`可读取：${code.fields.map((f) => f.label).join('、')}`}
            />
          </div>
        )}
      </Modal>
    </>
  );
}
