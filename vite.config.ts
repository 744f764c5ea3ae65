import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web app: sources in src/web, built into dist/web, served by the API server at the same origin
 * (so no CORS and the WebSocket shares the host). `npm run dev:web` proxies the API to a running server.
 */
export default defineConfig({
  root: 'src/web',
  publicDir: false,
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    sourcemap: true,
    // Route pages are lazy chunks; vendor libraries that every page needs stay in one cached chunk.
    chunkSizeWarningLimit: 700,
  },
  server: {
    port: 5173,
    proxy: {
      '/crm': { target: 'http://localhost:3000', ws: true },
    },
  },
});
