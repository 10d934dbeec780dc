import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// Dev server: `npx vite --config renderer/vite.config.ts`, with a running
// `poolscope serve … --ui --ui-addr 127.0.0.1:9090`; open http://localhost:5173/?token=TOKEN.
const bridgeTarget = process.env.POOLSCOPE_UI ?? 'http://127.0.0.1:9090';

export default defineConfig({
  root,
  // Relative asset URLs: the same build works over http (web mode) and file:// (Electron).
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2023',
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // Web mode checks Host and Origin against its own address: present the proxied requests as its own.
    proxy: { '/bridge': { target: bridgeTarget, ws: true, changeOrigin: true, headers: { origin: bridgeTarget } } },
  },
});
