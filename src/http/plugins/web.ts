import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

declare module './services.ts' {
  interface AppDeps {
    /** Built web pages (Vite output); defaults to web/dist of this checkout. */
    webDist?: string;
  }
}

/** The mobile pages: 运证通 for holders and 查验 for officers. */
export const webPages = ['wallet', 'verify'] as const;

const defaultDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

const notBuilt = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>页面尚未构建</title></head>
<body style="font-family:sans-serif;padding:24px;line-height:1.6"><h1 style="font-size:20px">页面尚未构建</h1>
<p>运证通与查验页面需要先构建：在项目目录运行 <code>npm run build:web</code>（或重新执行 <code>npm start</code>，启动前会自动构建）。</p></body></html>`;

/**
 * Serves web/dist: hashed assets under /assets/ (cached for a year), and each page's index.html
 * for every path below /wallet/ and /verify/ (the pages route on the client). The API's routes
 * and its security headers are untouched; the pages live under the same strict CSP (scripts and
 * connections only from this origin).
 */
export default async function web(app: FastifyInstance, opts: { dist?: string | undefined }) {
  const dist = opts.dist ?? defaultDist;
  const assets = path.join(dist, 'assets');
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      wildcard: true,
      index: false,
      immutable: true,
      maxAge: '365d',
    });
  }

  const sendPage = (page: (typeof webPages)[number], reply: FastifyReply) => {
    const dir = path.join(dist, page);
    if (!existsSync(path.join(dir, 'index.html'))) {
      return reply.status(503).type('text/html; charset=utf-8').send(notBuilt);
    }
    reply.header('cache-control', 'no-cache');
    // The page itself is never cached (a new build must show at once); its hashed assets are.
    return reply.sendFile('index.html', dir, { cacheControl: false });
  };

  for (const page of webPages) {
    app.get(`/${page}`, { schema: { hide: true } }, (_request, reply) => reply.redirect(`/${page}/`));
    app.get(`/${page}/*`, { schema: { hide: true } }, (_request, reply) => sendPage(page, reply));
  }
}
