import { DownloadOutlined, QrcodeOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Skeleton, Space, Tag, Timeline } from 'antd';
import { useEffect, useState } from 'react';
import { ApiError, download } from '../shared/api.ts';
import { faceRows, holderIdTypeName } from '../shared/face.ts';
import { navigate } from '../shared/router.ts';
import { badgeOf, validity } from '../shared/status.ts';
import { ShareCodeButton } from './ShareCodeButton.tsx';
import type { WalletSession } from './session.ts';
import type { CertificateDetail } from './types.ts';

const eventNames: Record<string, string> = {
  issue: '签发',
  annual_review: '年审',
  review: '年审',
  change: '变更',
  renew: '换发',
  reissue: '补发',
  replace: '换发',
  revoke: '注销',
  suspend: '暂停',
  resume: '恢复',
  expire: '过期',
  baseline: '纸质证照归集',
};

/** One certificate: every face field with its label, the seal, history, downloads and 亮证. */
export function CertificateDetailPage({
  session,
  identifier,
}: {
  session: WalletSession;
  identifier: string;
}) {
  const { message } = App.useApp();
  const [c, setC] = useState<CertificateDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [downloading, setDownloading] = useState<string | null>(null);

  useEffect(() => {
    setC(null);
    session
      .call<CertificateDetail>(`/api/v1/wallet/certificates/${encodeURIComponent(identifier)}`)
      .then(setC)
      .catch((e) => setError(e instanceof ApiError ? e.message : '加载失败'));
  }, [session, identifier]);

  async function fetchDocument(format: 'ofd' | 'pdf') {
    if (!session.token) return;
    setDownloading(format);
    try {
      await download(
        `/api/v1/wallet/certificates/${encodeURIComponent(identifier)}/document?format=${format}`,
        session.token,
        `电子证照.${format}`,
      );
    } catch (e) {
      message.error(e instanceof ApiError ? e.message : '下载失败');
    } finally {
      setDownloading(null);
    }
  }

  if (error) return <Alert type="error" showIcon title={error} style={{ margin: 12 }} />;
  if (!c) return <Skeleton active style={{ padding: 12 }} />;
  const badge = badgeOf(c.status);
  return (
    <div className="content">
      <Card variant="borderless" style={{ marginBottom: 12 }}>
        <div style={{ display: 'flex', alignItems: 'flex-start', gap: 8 }}>
          <div style={{ flex: 1 }}>
            <div style={{ fontSize: 18, fontWeight: 600 }}>{c.kind.name}</div>
            <div className="muted">证号 {c.certificateNumber}</div>
          </div>
          <Tag color={badge.color} style={{ fontSize: 14, padding: '2px 10px' }}>
            {badge.text}
          </Tag>
        </div>
        {c.status !== 'valid' && (
          <Alert
            style={{ marginTop: 12 }}
            type={c.status === 'superseded' ? 'info' : 'warning'}
            showIcon
            title={`本证照${c.statusName}${c.statusReason ? `：${c.statusReason}` : ''}`}
            description={c.status === 'superseded' && c.nextIdentifier ? '请出示最新版本。' : undefined}
          />
        )}
        <Button
          type="primary"
          size="large"
          block
          icon={<QrcodeOutlined />}
          style={{ marginTop: 14 }}
          onClick={() => navigate(`/wallet/certificates/${encodeURIComponent(c.identifier)}/show`)}
        >
          亮证
        </Button>
        <Space style={{ marginTop: 10, width: '100%' }} styles={{ item: { flex: 1 } }}>
          <Button
            block
            icon={<DownloadOutlined />}
            loading={downloading === 'ofd'}
            onClick={() => fetchDocument('ofd')}
          >
            下载 OFD
          </Button>
          <Button
            block
            icon={<DownloadOutlined />}
            loading={downloading === 'pdf'}
            onClick={() => fetchDocument('pdf')}
          >
            下载 PDF
          </Button>
        </Space>
        {c.status === 'valid' && (
          <div style={{ marginTop: 10 }}>
            <ShareCodeButton session={session} identifier={c.identifier} />
          </div>
        )}
      </Card>

      <Card title="照面信息" size="small" variant="borderless" style={{ marginBottom: 12 }}>
        <Descriptions column={1} size="small" styles={{ label: { width: 128 } }}>
          <Descriptions.Item label="持证主体">{c.holder.name}</Descriptions.Item>
          <Descriptions.Item label={holderIdTypeName(c.holder.idType)}>{c.holder.id}</Descriptions.Item>
          {faceRows(c.kind.code, c.face).map((r) => (
            <Descriptions.Item key={r.key} label={r.label}>
              {r.value}
            </Descriptions.Item>
          ))}
        </Descriptions>
      </Card>

      <Card title="签发信息" size="small" variant="borderless" style={{ marginBottom: 12 }}>
        <Descriptions column={1} size="small" styles={{ label: { width: 128 } }}>
          <Descriptions.Item label="发证机关">{c.issuer.name}</Descriptions.Item>
          <Descriptions.Item label="发证日期">{c.issueDate}</Descriptions.Item>
          <Descriptions.Item label="有效期">{validity(c.validFrom, c.validTo)}</Descriptions.Item>
          <Descriptions.Item label="所属区划">{c.regionName}</Descriptions.Item>
          <Descriptions.Item label="状态">{c.statusName}</Descriptions.Item>
          <Descriptions.Item label="电子证照标识">
            <span className="mono">{c.identifier}</span>
          </Descriptions.Item>
          <Descriptions.Item label="版本">第 {c.version} 版</Descriptions.Item>
          <Descriptions.Item label="签章">
            辽宁省道路运输电子证照专用章（SM2，{new Date(c.signedAt).toLocaleString('zh-CN')}）
          </Descriptions.Item>
        </Descriptions>
      </Card>

      <Card title="历史版本" size="small" variant="borderless">
        <Timeline
          items={c.versions
            .slice()
            .sort((a, b) => b.version - a.version)
            .map((v) => ({
              color: v.identifier === c.identifier ? 'blue' : 'gray',
              content: (
                <div>
                  <div>
                    第 {v.version} 版 · {eventNames[v.event] ?? v.event}{' '}
                    <Tag color={badgeOf(v.status).color}>{badgeOf(v.status).text}</Tag>
                  </div>
                  <div className="muted" style={{ fontSize: 13 }}>
                    发证日期 {v.issueDate} · 签章 {new Date(v.signedAt).toLocaleDateString('zh-CN')}
                  </div>
                </div>
              ),
            }))}
        />
      </Card>
    </div>
  );
}
