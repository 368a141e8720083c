import { CloseOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, Button, Progress, Spin } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../shared/api.ts';
import { badgeOf } from '../shared/status.ts';
import type { WalletSession } from './session.ts';
import type { CertificateSummary } from './types.ts';

interface ShowToken {
  token: string;
  expiresAt: string;
  refreshAfterSeconds: number;
}

/**
 * 亮证: the live token as a full-screen QR code, replaced every `refreshAfterSeconds` (30 s)
 * with a countdown; the token itself lapses 60 s after signing, so a screenshot is useless a
 * minute later. The screen is asked to stay awake while the code shows.
 */
export function ShowCodePage({ session, identifier }: { session: WalletSession; identifier: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [token, setToken] = useState<ShowToken | null>(null);
  const [refreshAt, setRefreshAt] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string | null>(null);
  const [certificate, setCertificate] = useState<CertificateSummary | null>(null);
  const loading = useRef(false);

  const refresh = useCallback(async () => {
    if (loading.current) return;
    loading.current = true;
    try {
      const t = await session.call<ShowToken>(
        `/api/v1/wallet/certificates/${encodeURIComponent(identifier)}/show`,
        { method: 'POST' },
      );
      setToken(t);
      setRefreshAt(Date.now() + t.refreshAfterSeconds * 1000);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '亮证码生成失败');
      setToken(null);
    } finally {
      loading.current = false;
    }
  }, [session, identifier]);

  useEffect(() => {
    void refresh();
    session
      .call<CertificateSummary>(`/api/v1/wallet/certificates/${encodeURIComponent(identifier)}`)
      .then(setCertificate)
      .catch(() => {});
  }, [refresh, session, identifier]);

  // One clock tick a second drives the countdown and the refresh.
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (token && now >= refreshAt) void refresh();
  }, [now, refreshAt, token, refresh]);
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [refresh]);

  // Keep the screen on (where the browser allows it).
  useEffect(() => {
    let lock: { release(): Promise<void> } | null = null;
    const nav = navigator as Navigator & {
      wakeLock?: { request(type: 'screen'): Promise<{ release(): Promise<void> }> };
    };
    nav.wakeLock
      ?.request('screen')
      .then((l) => {
        lock = l;
      })
      .catch(() => {});
    return () => {
      void lock?.release().catch(() => {});
    };
  }, []);

  useEffect(() => {
    if (!token || !canvas.current) return;
    const size = Math.min(window.innerWidth - 48, window.innerHeight - 300, 420);
    let cancelled = false;
    import('qrcode').then((QR) => {
      if (cancelled || !canvas.current) return;
      void QR.toCanvas(canvas.current, token.token, {
        errorCorrectionLevel: 'M',
        margin: 2,
        width: Math.max(size, 240),
        color: { dark: '#000000', light: '#ffffff' },
      });
    });
    return () => {
      cancelled = true;
    };
  }, [token]);

  const total = token?.refreshAfterSeconds ?? 30;
  const left = token ? Math.min(total, Math.max(0, Math.ceil((refreshAt - now) / 1000))) : 0;
  const badge = certificate ? badgeOf(certificate.status) : null;

  return (
    <div className="show-screen" data-testid="show-screen">
      <div className="show-head">
        <span>亮证 · 运证通</span>
        <Button
          type="text"
          icon={<CloseOutlined />}
          aria-label="关闭"
          onClick={() => history.back()}
          style={{ color: '#fff' }}
        />
      </div>
      <div className="show-body">
        <div className="show-kind">{certificate?.kind.name ?? '\u00a0'}</div>
        <div className="show-sub">
          {certificate ? `${certificate.holderName} · ${certificate.certificateNumber}` : '\u00a0'}
          {badge && certificate?.status !== 'valid' && <b style={{ color: '#c62828' }}>（{badge.text}）</b>}
        </div>
        <div className="show-qr">
          {error ? (
            <Alert
              type="error"
              showIcon
              title={error}
              action={<Button icon={<ReloadOutlined />} onClick={refresh} />}
            />
          ) : token ? (
            <canvas ref={canvas} data-testid="show-qr" aria-label="亮证二维码" />
          ) : (
            <Spin size="large" />
          )}
        </div>
        {token && (
          <div className="show-countdown" data-testid="show-countdown">
            <Progress
              percent={(left / total) * 100}
              showInfo={false}
              strokeColor="#1d4f91"
              size="small"
              style={{ width: 220, margin: '0 auto' }}
            />
            <div>
              <b>{left}</b> 秒后自动刷新
            </div>
          </div>
        )}
        <p className="show-hint">请将二维码出示给执法人员扫描。二维码每 30 秒更新，截图无效。</p>
      </div>
    </div>
  );
}
