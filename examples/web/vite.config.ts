// Vite for the demo app. In production the gateway serves dist/ and the app
// talks to it at `/`; under `vite` (dev) Socket.IO is proxied to the gateway.
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

const gateway = process.env.WARREN_GATEWAY ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  // The workspace packages' TypeScript source (their `source` export
  // condition), so the demo needs no package build; users get dist/.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: {
    port: 5173,
    proxy: { '/socket.io': { target: gateway, ws: true, changeOrigin: true } },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
