import {
  BellOutlined,
  HistoryOutlined,
  IdcardOutlined,
  LogoutOutlined,
  SafetyOutlined,
} from '@ant-design/icons';
import { Badge, Button, Spin } from 'antd';
import { lazy, type ReactNode, Suspense, useCallback, useEffect, useState } from 'react';
import { navigate, usePath } from '../shared/router.ts';
import { CertificateListPage } from './CertificateListPage.tsx';
import { LoginPage } from './LoginPage.tsx';
import { useWalletSession, type WalletSession } from './session.ts';

// Sign-in and the list load first; the other pages come when opened, keeping the first load small.
const CertificateDetailPage = lazy(() =>
  import('./CertificateDetailPage.tsx').then((m) => ({ default: m.CertificateDetailPage })),
);
const ShowCodePage = lazy(() => import('./ShowCodePage.tsx').then((m) => ({ default: m.ShowCodePage })));
const InboxPage = lazy(() => import('./InboxPage.tsx').then((m) => ({ default: m.InboxPage })));
const GrantsPage = lazy(() => import('./GrantsPage.tsx').then((m) => ({ default: m.GrantsPage })));
const UsagePage = lazy(() => import('./UsagePage.tsx').then((m) => ({ default: m.UsagePage })));

const BASE = '/wallet';

/** 运证通: the holder's pages. Everything below /wallet/ is routed here. */
export function WalletApp() {
  const session = useWalletSession();
  const path = usePath();
  if (!session.token) {
    const signedIn = (token: string) => {
      session.signIn(token);
      navigate(`${BASE}/`);
      window.scrollTo(0, 0);
    };
    return <LoginPage onSignedIn={signedIn} />;
  }

  const show = /^\/wallet\/certificates\/([^/]+)\/show$/.exec(path);
  if (show) {
    return (
      <Suspense fallback={<Loading />}>
        <ShowCodePage session={session} identifier={decodeURIComponent(show[1]!)} />
      </Suspense>
    );
  }
  const detail = /^\/wallet\/certificates\/([^/]+)$/.exec(path);
  if (detail) {
    return (
      <Layout session={session} title="证照详情" back>
        <CertificateDetailPage session={session} identifier={decodeURIComponent(detail[1]!)} />
      </Layout>
    );
  }
  if (path === `${BASE}/grants`) {
    return (
      <Layout session={session} title="授权用证" tab="grants">
        <GrantsPage session={session} />
      </Layout>
    );
  }
  if (path === `${BASE}/usage`) {
    return (
      <Layout session={session} title="使用记录" tab="usage">
        <UsagePage session={session} />
      </Layout>
    );
  }
  if (path === `${BASE}/inbox`) {
    return (
      <Layout session={session} title="消息" tab="inbox">
        <InboxPage session={session} />
      </Layout>
    );
  }
  return (
    <Layout session={session} title="运证通" tab="certificates">
      <CertificateListPage session={session} />
    </Layout>
  );
}

function Layout(props: {
  session: WalletSession;
  title: string;
  tab?: 'certificates' | 'grants' | 'usage' | 'inbox';
  back?: boolean;
  children: ReactNode;
}) {
  const { session } = props;
  const [unread, setUnread] = useState(0);
  const refreshUnread = useCallback(() => {
    session
      .call<{ unread: number }>('/api/v1/wallet/inbox?limit=1')
      .then((r) => setUnread(r.unread))
      .catch(() => {});
  }, [session]);
  useEffect(() => {
    refreshUnread();
    window.addEventListener('roadcert:inbox-changed', refreshUnread);
    return () => window.removeEventListener('roadcert:inbox-changed', refreshUnread);
  }, [refreshUnread]);

  async function logout() {
    await session.call('/api/v1/wallet/logout', { method: 'POST' }).catch(() => {});
    session.signOut();
    navigate(`${BASE}/`);
  }

  return (
    <div className="page" style={{ paddingBottom: props.tab ? 64 : 0 }}>
      <div className="topbar">
        {props.back && (
          <Button type="text" onClick={() => history.back()} aria-label="返回">
            ‹ 返回
          </Button>
        )}
        <h1>{props.title}</h1>
        <Button type="text" icon={<LogoutOutlined />} onClick={logout}>
          退出
        </Button>
      </div>
      <Suspense fallback={<Loading />}>{props.children}</Suspense>
      {props.tab && (
        <nav className="tabbar">
          <TabLink
            active={props.tab === 'certificates'}
            to={`${BASE}/`}
            icon={<IdcardOutlined />}
            label="证照"
          />
          <TabLink
            active={props.tab === 'grants'}
            to={`${BASE}/grants`}
            icon={<SafetyOutlined />}
            label="授权"
          />
          <TabLink
            active={props.tab === 'usage'}
            to={`${BASE}/usage`}
            icon={<HistoryOutlined />}
            label="记录"
          />
          <TabLink
            active={props.tab === 'inbox'}
            to={`${BASE}/inbox`}
            icon={
              <Badge count={unread} size="small" offset={[6, -2]}>
                <BellOutlined />
              </Badge>
            }
            label="消息"
          />
        </nav>
      )}
    </div>
  );
}

function TabLink(props: { active: boolean; to: string; icon: ReactNode; label: string }) {
  return (
    <button
      type="button"
      className={props.active ? 'tab active' : 'tab'}
      onClick={() => navigate(props.to)}
      aria-current={props.active ? 'page' : undefined}
    >
      <span className="tab-icon">{props.icon}</span>
      <span>{props.label}</span>
    </button>
  );
}

function Loading() {
  return (
    <div style={{ padding: 48, textAlign: 'center' }}>
      <Spin />
    </div>
  );
}
