import { useCallback, useState } from 'react';
import { ApiError, type ApiOptions, api } from '../shared/api.ts';

/*
 * The wallet session token lives in sessionStorage: it dies with the tab, and the server ends it
 * after 30 idle minutes anyway. Any 401 drops it and shows the sign-in page again.
 */
const KEY = 'roadcert.wallet.session';

export interface WalletSession {
  token: string | null;
  signIn(token: string): void;
  signOut(): void;
  /** `api` with the bearer token; a 401 signs out. */
  call<T>(path: string, opts?: Omit<ApiOptions, 'token'>): Promise<T>;
}

export function useWalletSession(): WalletSession {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(KEY));
  const signIn = useCallback((t: string) => {
    sessionStorage.setItem(KEY, t);
    setToken(t);
  }, []);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(KEY);
    setToken(null);
  }, []);
  const call = useCallback(
    async <T>(path: string, opts: Omit<ApiOptions, 'token'> = {}): Promise<T> => {
      try {
        return await api<T>(path, { ...opts, token });
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) signOut();
        throw e;
      }
    },
    [token, signOut],
  );
  return { token, signIn, signOut, call };
}
