import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
// `npm run dev:client` talks to a server started with `npm start`; the server refuses cross-origin requests,
// so the proxy must keep the Origin host as it is (changeOrigin false).
const server = process.env.IMAGINEER_SERVER ?? 'http://127.0.0.1:10050';

export default defineConfig({
  root,
  base: '/',
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: {
      '/graphql': { target: server, ws: true, changeOrigin: false },
      '/outputs': { target: server, changeOrigin: false },
      '/health': { target: server, changeOrigin: false },
    },
  },
});
