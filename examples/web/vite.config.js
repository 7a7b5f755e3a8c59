// The pages talk to lineup-server on the page's own origin: in development Vite passes
// /api, /ws and /sdk on to it (LINEUP_SERVER, default http://127.0.0.1:8080); the build
// is served by lineup-server itself (`lineup-server --www dist`).
import { defineConfig } from 'vite';

const target = process.env.LINEUP_SERVER || 'http://127.0.0.1:8080';

export default defineConfig({
  server: {
    proxy: {
      '/api': target,
      '/sdk': target,
      '/ws': { target, ws: true },
    },
  },
  build: {
    // The pages' modules use top-level await (Vite 6's default target predates it).
    target: 'es2022',
    rollupOptions: {
      input: { agent: 'agent.html', customer: 'customer.html', classic: 'classic.html' },
    },
  },
});
