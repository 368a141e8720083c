import { CloudUploadOutlined, LogoutOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Input, Spin, Switch, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from '../shared/api.ts';
import { LoginPage } from './LoginPage.tsx';
import {
  loadOfflineMaterial,
  type OfflineMaterial,
  refreshOfflineMaterial,
  verifyOffline,
} from './offline/offline.ts';
import { clearCaches, type QueuedVerification, queue } from './offline/store.ts';
import { formatAge, ResultView } from './ResultView.tsx';
import { Scanner } from './Scanner.tsx';
import type { Officer, Verdict, VerifyResponse } from './types.ts';

const SESSION = 'roadcert.verify.session';

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

/** 查验: the officer's page. Online it asks the platform; offline it checks with cached, signed data. */
export function VerifyApp() {
  const { message } = App.useApp();
  const [session, setSession] = useState<{ token: string; officer: Officer } | null>(() => {
    try {
      return JSON.parse(sessionStorage.getItem(SESSION) ?? 'null');
    } catch {
      return null;
    }
  });
  const browserOnline = useOnline();
  const [manualOffline, setManualOffline] = useState(false);
  const offline = manualOffline || !browserOnline;
  const [material, setMaterial] = useState<OfflineMaterial | null>(null);
  const [materialError, setMaterialError] = useState<string | null>(null);
  const [queued, setQueued] = useState<QueuedVerification[]>([]);
  const [uploading, setUploading] = useState(false);
  const [place, setPlace] = useState('');
  const [busy, setBusy] = useState(false);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setTick] = useState(0);

  const signOut = useCallback(async () => {
    if (session) await api('/api/v1/auth/logout', { method: 'POST', token: session.token }).catch(() => {});
    sessionStorage.removeItem(SESSION);
    await clearCaches().catch(() => {});
    setSession(null);
    setVerdict(null);
  }, [session]);

  const handleAuthError = useCallback((e: unknown) => {
    if (e instanceof ApiError && e.status === 401) {
      sessionStorage.removeItem(SESSION);
      setSession(null);
    }
  }, []);

  const officer = session?.officer.username;
  const mine = useCallback(async () => (await queue.all()).filter((q) => q.officer === officer), [officer]);
  const reloadQueue = useCallback(async () => setQueued(await mine()), [mine]);

  // Cached material first (works offline), then a fresh copy when the network allows.
  useEffect(() => {
    if (!session) return;
    void reloadQueue();
    loadOfflineMaterial().then((m) => m && setMaterial(m));
    if (offline) return;
    refreshOfflineMaterial(session.token)
      .then((m) => {
        setMaterial(m);
        setMaterialError(null);
      })
      .catch((e: unknown) => {
        handleAuthError(e);
        setMaterialError(e instanceof Error ? e.message : '离线数据更新失败');
      });
  }, [session, offline, reloadQueue, handleAuthError]);

  const upload = useCallback(async () => {
    if (!session || offline) return;
    const items = (await mine()).filter((q) => !q.error);
    if (items.length === 0) return;
    setUploading(true);
    let sent = 0;
    try {
      for (const item of items) {
        try {
          await api('/api/v1/verify/offline', {
            method: 'POST',
            token: session.token,
            body: {
              id: item.id,
              code: item.code,
              checkedAt: item.checkedAt,
              ...(item.place ? { place: item.place } : {}),
              ...(item.outcome ? { outcome: item.outcome } : {}),
            },
          });
          await queue.delete(item.id);
          sent++;
        } catch (e) {
          handleAuthError(e);
          if (
            e instanceof ApiError &&
            e.status >= 400 &&
            e.status < 500 &&
            e.status !== 401 &&
            e.status !== 429
          ) {
            await queue.put({ ...item, error: e.message });
            continue;
          }
          break; // offline again or the server is unwell: try later
        }
      }
    } finally {
      setUploading(false);
      await reloadQueue();
    }
    if (sent > 0) message.success(`已上传 ${sent} 条离线查验记录`);
  }, [session, offline, mine, reloadQueue, handleAuthError, message]);

  useEffect(() => {
    if (!offline) void upload();
  }, [offline, upload]);

  // The status list's age on screen moves on by itself.
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);

  const checkOffline = useCallback(
    async (code: string) => {
      const m = material ?? (await loadOfflineMaterial());
      if (!m) {
        setError('本机没有离线查验所需的信任列表与状态列表，请先联网登录一次');
        return;
      }
      const result = await verifyOffline(code, m);
      if (!session) return;
      const item: QueuedVerification = {
        id: crypto.randomUUID(),
        officer: session.officer.username,
        code,
        checkedAt: result.checkedAt,
        ...(place.trim() ? { place: place.trim() } : {}),
        localResult: result.result,
        ...(result.reason ? { localReason: result.reason } : {}),
      };
      await queue.put(item);
      await reloadQueue();
      setVerdict({ mode: 'offline', offline: result, queueId: item.id });
    },
    [session, material, place, reloadQueue],
  );

  const onCode = useCallback(
    async (code: string) => {
      if (!session || busy) return;
      setBusy(true);
      setError(null);
      try {
        if (offline) {
          await checkOffline(code);
          return;
        }
        try {
          const response = await api<VerifyResponse>('/api/v1/verify', {
            method: 'POST',
            token: session.token,
            body: { code, ...(place.trim() ? { place: place.trim() } : {}) },
          });
          setVerdict({ mode: 'online', response });
        } catch (e) {
          handleAuthError(e);
          // The network is gone mid-check: fall back to the offline check rather than fail.
          if (e instanceof ApiError && e.code === 'NETWORK') await checkOffline(code);
          else setError(e instanceof Error ? e.message : '查验失败');
        }
      } finally {
        setBusy(false);
      }
    },
    [session, busy, offline, place, checkOffline, handleAuthError],
  );

  const onOutcome = useCallback(
    async (recognized: boolean, reason?: string) => {
      if (!session || !verdict) return;
      const outcome = { recognized, ...(reason ? { reason } : {}) };
      if (verdict.mode === 'online') {
        await api(`/api/v1/verify/${verdict.response.verificationId}/outcome`, {
          method: 'POST',
          token: session.token,
          body: outcome,
        });
        return;
      }
      const item = (await queue.all()).find((q) => q.id === verdict.queueId);
      if (item) {
        await queue.put({ ...item, outcome });
        await reloadQueue();
        if (!offline) void upload();
      } else {
        throw new Error('该次离线查验已上传，无法再补录认可结果');
      }
    },
    [session, verdict, offline, reloadQueue, upload],
  );

  if (!session) {
    return (
      <LoginPage
        onSignedIn={(token, officer) => {
          const s = { token, officer };
          sessionStorage.setItem(SESSION, JSON.stringify(s));
          setSession(s);
        }}
      />
    );
  }

  const list = material?.statusList;
  const age = list ? Math.max(0, (Date.now() - new Date(list.issuedAt).getTime()) / 1000) : 0;
  const failed = queued.filter((q) => q.error);

  return (
    <div className="page">
      <div className="topbar">
        <h1>电子证照查验</h1>
        <Button type="text" icon={<LogoutOutlined />} onClick={signOut}>
          退出
        </Button>
      </div>
      <div className="statusbar" data-testid="statusbar">
        <span style={{ flex: 1 }}>
          {session.officer.displayName} · {session.officer.regionName}
        </span>
        <Tag color={offline ? 'orange' : 'green'} data-testid="network-state">
          {offline ? '离线' : '在线'}
        </Tag>
        <span>
          离线模式{' '}
          <Switch
            size="small"
            checked={manualOffline}
            onChange={setManualOffline}
            data-testid="offline-switch"
          />
        </span>
      </div>
      <div className="statusbar" style={{ color: '#475467' }}>
        <span style={{ flex: 1 }} data-testid="status-list-age">
          {list
            ? `状态列表：${new Date(list.issuedAt).toLocaleString('zh-CN')}（${formatAge(age)}前，${list.entries.length} 条）`
            : '尚无离线状态列表'}
        </span>
        {queued.length > 0 && (
          <Button
            size="small"
            icon={<CloudUploadOutlined />}
            loading={uploading}
            disabled={offline}
            onClick={upload}
            data-testid="queue"
          >
            待上传 {queued.length}
          </Button>
        )}
      </div>
      <div className="content">
        {materialError && !offline && (
          <Alert type="warning" showIcon title={materialError} style={{ marginBottom: 12 }} closable />
        )}
        {list && age > list.maxAgeSeconds && (
          <Alert
            type="warning"
            showIcon
            title="离线状态列表已超过最长有效期，联网后将自动更新"
            style={{ marginBottom: 12 }}
          />
        )}
        {failed.length > 0 && (
          <Alert
            type="error"
            showIcon
            style={{ marginBottom: 12 }}
            title={`${failed.length} 条离线查验记录上传被拒绝`}
            description={failed[0]!.error}
            action={
              <Button
                size="small"
                onClick={async () => {
                  for (const f of failed) await queue.delete(f.id);
                  await reloadQueue();
                }}
              >
                移除
              </Button>
            }
          />
        )}
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} closable />}
        {verdict ? (
          <ResultView
            key={verdict.mode === 'online' ? verdict.response.verificationId : verdict.queueId}
            verdict={verdict}
            onOutcome={onOutcome}
            onNext={() => setVerdict(null)}
          />
        ) : (
          <Card variant="borderless">
            <Input
              placeholder="查验地点（选填）"
              value={place}
              maxLength={200}
              onChange={(e) => setPlace(e.target.value)}
              style={{ marginBottom: 8 }}
            />
            <Spin spinning={busy} tip="正在查验…">
              <Scanner onCode={onCode} busy={busy} />
            </Spin>
          </Card>
        )}
      </div>
    </div>
  );
}
