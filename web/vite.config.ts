import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/*
 * Two mobile-first pages, each its own entry so the wallet never loads the officer's QR
 * decoder or SM2 code: /wallet/ (运证通, holders) and /verify/ (查验, officers). The Fastify app
 * serves web/dist (src/http/plugins/web.ts); `npm run dev:web` proxies the API to a running server.
 */
const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    manifest: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        wallet: path.join(root, 'wallet/index.html'),
        verify: path.join(root, 'verify/index.html'),
      },
    },
  },
  server: {
    proxy: { '/api': process.env.ROADCERT_API ?? 'http://127.0.0.1:3000' },
  },
});
