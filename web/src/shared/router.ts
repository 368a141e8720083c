import { useEffect, useState } from 'react';

/*
 * A few pages per app do not need a router library: the path below the app's base (/wallet/,
 * /verify/) is the route, history.pushState moves, popstate comes back. The server answers
 * every path under the base with the same index.html.
 */

const listeners = new Set<() => void>();

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  // A new page starts at its top, not where the previous one was scrolled to.
  window.scrollTo(0, 0);
  for (const l of listeners) l();
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}
