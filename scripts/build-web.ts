/**
 * Builds the web pages (web/ → web/dist) with Vite's JS API when the build is missing or older
 * than its sources. `npm start` runs it first (prestart), the browser tests call it before they
 * start a server, and `npm run build:web` forces a build. Without Vite (a production install that
 * omits dev dependencies) it only reports: such installs ship a built web/dist.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const webRoot = path.join(root, 'web');
export const webDist = path.join(webRoot, 'dist');
/** What the pages import from the server's code (catalog labels, check digits, identifiers). */
const sharedSources = [path.join(root, 'src', 'domain'), path.join(root, 'src', 'errors.ts')];
const builtMarker = path.join(webDist, '.vite', 'manifest.json');

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) {
    if (entry === 'dist' || entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** Whether web/dist is missing or older than any source it is built from. */
export function webBuildIsStale(): boolean {
  if (!existsSync(builtMarker)) return true;
  const built = statSync(builtMarker).mtimeMs;
  const sources = [webRoot, ...sharedSources, path.join(root, 'package-lock.json')];
  return sources.some((p) => existsSync(p) && newestMtime(p) > built);
}

/** Runs the Vite build. Throws when Vite is not installed or the build fails. */
export async function buildWeb(opts: { quiet?: boolean } = {}): Promise<void> {
  const { build } = await import('vite');
  // Vite keeps an inherited NODE_ENV (`npm test` sets "test"), which would ship React's
  // development build; the pages are always built for production.
  const inherited = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: path.join(webRoot, 'vite.config.ts'),
      mode: 'production',
      logLevel: opts.quiet ? 'error' : 'warn',
    });
  } finally {
    if (inherited === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = inherited;
  }
}

/** Builds only when stale; returns whether it built. */
export async function ensureWebBuild(opts: { quiet?: boolean } = {}): Promise<boolean> {
  if (!webBuildIsStale()) return false;
  await buildWeb(opts);
  return true;
}

interface ManifestChunk {
  file: string;
  imports?: string[];
  css?: string[];
  isEntry?: boolean;
}

/**
 * Gzip size of what a page loads before it is interactive: its entry chunk and every chunk
 * that entry imports statically (dynamic imports, such as the QR drawing on 亮证, are left out).
 */
export function pageScriptGzipBytes(page: 'wallet' | 'verify'): { files: string[]; gzipBytes: number } {
  const manifest = JSON.parse(readFileSync(builtMarker, 'utf8')) as Record<string, ManifestChunk>;
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const k of manifest[key]?.imports ?? []) visit(k);
  };
  visit(`${page}/index.html`);
  const files = [...seen].map((k) => manifest[k]!.file).filter((f) => f.endsWith('.js'));
  const gzipBytes = files.reduce(
    (sum, f) => sum + gzipSync(readFileSync(path.join(webDist, f)), { level: 9 }).length,
    0,
  );
  return { files, gzipBytes };
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !webBuildIsStale()) return;
  try {
    await import('vite');
  } catch {
    if (ifStale && existsSync(builtMarker)) return;
    console.warn('roadcert: 未安装 Vite（开发依赖），无法构建网页；运证通与查验页面将不可用。');
    return;
  }
  if (force || ifStale || webBuildIsStale()) {
    await buildWeb();
    for (const page of ['wallet', 'verify'] as const) {
      const { gzipBytes } = pageScriptGzipBytes(page);
      console.log(`web/dist: ${page} 页面脚本 ${(gzipBytes / 1024).toFixed(1)} KB（gzip）`);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(`roadcert: 网页构建失败：${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
