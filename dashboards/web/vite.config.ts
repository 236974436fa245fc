import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The live page: built from this folder into <repo>/dist/web, which the API serves (api/plugins/dashboard.ts). */
export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // the page runs in current browsers only; a small bundle matters more than old ones
    target: 'es2022',
    sourcemap: true,
  },
});
