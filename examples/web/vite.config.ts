// Vite for the demo app. In production the gateway serves dist/ and the app
// talks to it at `/`; under `vite` (dev, `npm run dev`) Socket.IO, the hop
// timeline (/calls), the operations API (/ops/api) and the registry are
// proxied to the gateway.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { warrenDocs } from './docs-plugin.ts';

const gateway = process.env.WARREN_GATEWAY ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react(), warrenDocs()],
  server: {
    port: Number(process.env.VITE_PORT ?? 5173),
    strictPort: process.env.VITE_PORT !== undefined,
    proxy: {
      '/socket.io': { target: gateway, ws: true, changeOrigin: true },
      '/calls': { target: gateway, changeOrigin: true },
      '/ops/api': { target: gateway, changeOrigin: true },
      '/registry': { target: gateway, changeOrigin: true },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
