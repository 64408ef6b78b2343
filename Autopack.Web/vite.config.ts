import { defineConfig } from 'vite';

// The dev server keeps the front door's routing rules (see nginx.conf):
// /api/auth/* and /health pass through, other /api/* lose their prefix.
const api = process.env.services__api__http__0 ?? process.env.AUTOPACK_API_URL ?? 'http://127.0.0.1:5080';

export default defineConfig({
  server: {
    proxy: {
      '/api/auth': { target: api, changeOrigin: true },
      '/health': { target: api, changeOrigin: true },
      '/api': { target: api, changeOrigin: true, rewrite: (path) => path.replace(/^\/api/, '') },
    },
  },
  test: { environment: 'jsdom', include: ['src/**/*.test.{ts,tsx}'] },
} as never);
