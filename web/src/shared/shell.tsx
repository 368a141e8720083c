import { App as AntApp, ConfigProvider, theme } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import type { ReactNode } from 'react';
import './base.css';

/** Government blue, plain surfaces, large touch targets: the look both mobile pages share. */
export const brand = { primary: '#1d4f91', success: '#138a36', error: '#c62828' };

export function Shell({ children }: { children: ReactNode }) {
  return (
    <ConfigProvider
      locale={zhCN}
      theme={{
        algorithm: theme.defaultAlgorithm,
        token: {
          colorPrimary: brand.primary,
          colorSuccess: brand.success,
          colorError: brand.error,
          borderRadius: 6,
          fontSize: 15,
          controlHeight: 40,
          fontFamily:
            '-apple-system, BlinkMacSystemFont, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif',
        },
      }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}
