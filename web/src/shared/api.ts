/** Thin fetch wrapper for the roadcert API: bearer token, JSON, problem+json errors in Chinese. */

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the network failed. */
    readonly status: number,
    /** The problem's stable code, or NETWORK. */
    readonly code: string,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  token?: string | null;
  signal?: AbortSignal;
}

export async function api<T>(path: string, opts: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      credentials: 'omit',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch {
    throw new ApiError('网络连接失败，请检查网络后重试', 0, 'NETWORK');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const problem = (data ?? {}) as { detail?: string; title?: string; code?: string };
    throw new ApiError(
      problem.detail ?? problem.title ?? `请求失败（${res.status}）`,
      res.status,
      problem.code ?? `HTTP_${res.status}`,
    );
  }
  return data as T;
}

/** Downloads a protected file (bearer token) and hands it to the browser as a download. */
export async function download(path: string, token: string, fallbackName: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, credentials: 'omit' });
  } catch {
    throw new ApiError('网络连接失败，请检查网络后重试', 0, 'NETWORK');
  }
  if (!res.ok) {
    let detail = `下载失败（${res.status}）`;
    try {
      detail = ((await res.json()) as { detail?: string }).detail ?? detail;
    } catch {
      // not problem+json
    }
    throw new ApiError(detail, res.status, `HTTP_${res.status}`);
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  const name = star ? decodeURIComponent(star[1]!) : (plain?.[1] ?? fallbackName);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
