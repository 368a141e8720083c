import { CheckCircleFilled, CloseCircleFilled, WifiOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Descriptions, Input, Space, Tag } from 'antd';
import { useState } from 'react';
import { faceRows, kindName } from '../shared/face.ts';
import { badgeOf, validity } from '../shared/status.ts';
import type { Verdict } from './types.ts';

export function formatAge(seconds: number): string {
  if (seconds < 60) return '不到 1 分钟';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} 分钟`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} 小时 ${Math.floor((seconds % 3600) / 60)} 分钟`;
  return `${Math.floor(seconds / 86_400)} 天`;
}

/** The verdict, big enough to read at arm's length, then the officer's 认可 / 不认可. */
export function ResultView(props: {
  verdict: Verdict;
  onOutcome: (recognized: boolean, reason?: string) => Promise<void>;
  onNext: () => void;
}) {
  const { verdict } = props;
  const ok =
    verdict.mode === 'online' ? verdict.response.result === 'valid' : verdict.offline.result === 'valid';
  const message = verdict.mode === 'online' ? verdict.response.message : verdict.offline.message;
  const [notRecognized, setNotRecognized] = useState(false);
  const [reason, setReason] = useState('');
  const [saving, setSaving] = useState(false);
  const [recorded, setRecorded] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function record(recognized: boolean) {
    setSaving(true);
    setError(null);
    try {
      await props.onOutcome(recognized, recognized ? undefined : reason.trim());
      setRecorded(recognized ? '已记录：认可' : `已记录：不认可（${reason.trim()}）`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <div data-testid="verdict" data-result={ok ? 'valid' : 'invalid'} data-mode={verdict.mode}>
      <div className={ok ? 'verdict verdict-ok' : 'verdict verdict-bad'}>
        <div className="verdict-icon">{ok ? <CheckCircleFilled /> : <CloseCircleFilled />}</div>
        <div className="verdict-title">{ok ? '查验通过' : '查验未通过'}</div>
        <div className="verdict-message" data-testid="verdict-message">
          {message}
        </div>
      </div>
      {verdict.mode === 'offline' && (
        <Alert
          type="warning"
          showIcon
          icon={<WifiOutlined />}
          style={{ margin: '12px 0' }}
          data-testid="offline-note"
          title={`离线查验，状态截至 ${new Date(verdict.offline.statusAsOf).toLocaleString('zh-CN')}（${formatAge(verdict.offline.statusAgeSeconds)}前）`}
          description="联网后自动上传本次查验，以平台的核验结果为准。"
        />
      )}
      <CertificateCard verdict={verdict} />
      <Card size="small" title="认可结果" variant="borderless" style={{ marginTop: 12 }}>
        {recorded ? (
          <Alert type="success" showIcon title={recorded} data-testid="outcome-recorded" />
        ) : (
          <>
            {notRecognized ? (
              <>
                <Input.TextArea
                  rows={3}
                  maxLength={500}
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                  placeholder="请填写不认可的原因（必填）"
                  data-testid="outcome-reason"
                />
                <Space style={{ marginTop: 10, width: '100%' }} styles={{ item: { flex: 1 } }}>
                  <Button block onClick={() => setNotRecognized(false)}>
                    取消
                  </Button>
                  <Button
                    block
                    danger
                    type="primary"
                    disabled={!reason.trim()}
                    loading={saving}
                    onClick={() => record(false)}
                  >
                    提交不认可
                  </Button>
                </Space>
              </>
            ) : (
              <Space style={{ width: '100%' }} styles={{ item: { flex: 1 } }}>
                <Button block type="primary" size="large" loading={saving} onClick={() => record(true)}>
                  认可
                </Button>
                <Button block danger size="large" onClick={() => setNotRecognized(true)}>
                  不认可
                </Button>
              </Space>
            )}
            {error && <Alert type="error" showIcon title={error} style={{ marginTop: 10 }} />}
          </>
        )}
      </Card>
      <Button block size="large" style={{ marginTop: 12 }} onClick={props.onNext}>
        继续查验
      </Button>
    </div>
  );
}

function CertificateCard({ verdict }: { verdict: Verdict }) {
  if (verdict.mode === 'online') {
    const c = verdict.response.certificate;
    if (!c) return null;
    const badge = badgeOf(c.status);
    return (
      <Card
        size="small"
        variant="borderless"
        style={{ marginTop: 12 }}
        title={c.kind.name}
        extra={<Tag color={badge.color}>{badge.text}</Tag>}
      >
        <Descriptions column={1} size="small" styles={{ label: { width: 110 } }}>
          <Descriptions.Item label="持证主体">{c.holderName}</Descriptions.Item>
          <Descriptions.Item label="证号">{c.certificateNumber}</Descriptions.Item>
          <Descriptions.Item label="有效期">{validity(c.validFrom, c.validTo)}</Descriptions.Item>
          {faceRows(c.kind.code, c.face).map((r) => (
            <Descriptions.Item key={r.key} label={r.label}>
              {r.value}
            </Descriptions.Item>
          ))}
          <Descriptions.Item label="电子证照标识">
            <span className="mono">{c.identifier}</span>
          </Descriptions.Item>
          <Descriptions.Item label="查验时间">
            {new Date(verdict.response.checkedAt).toLocaleString('zh-CN')}
          </Descriptions.Item>
        </Descriptions>
      </Card>
    );
  }
  const o = verdict.offline;
  if (!o.identifier) return null;
  return (
    <Card
      size="small"
      variant="borderless"
      style={{ marginTop: 12 }}
      title={(o.kindCode && kindName(o.kindCode)) ?? (o.codeType === 'document' ? '证照二维码' : '亮证码')}
      extra={o.status && <Tag color={badgeOf(o.status).color}>{badgeOf(o.status).text}</Tag>}
    >
      <Descriptions column={1} size="small" styles={{ label: { width: 110 } }}>
        {o.holderName && <Descriptions.Item label="持证主体">{o.holderName}</Descriptions.Item>}
        {o.certificateNumber && <Descriptions.Item label="证号">{o.certificateNumber}</Descriptions.Item>}
        <Descriptions.Item label="电子证照标识">
          <span className="mono">{o.identifier}</span>
        </Descriptions.Item>
        <Descriptions.Item label="版本">第 {o.version} 版</Descriptions.Item>
        <Descriptions.Item label="查验时间">
          {new Date(o.checkedAt).toLocaleString('zh-CN')}
        </Descriptions.Item>
      </Descriptions>
      <p className="muted" style={{ fontSize: 12, margin: '8px 0 0' }}>
        离线时仅显示二维码中签名的摘要信息；完整照面信息需联网查验。
      </p>
    </Card>
  );
}
