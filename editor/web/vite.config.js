// Vite builds the editor into dist/, with relative asset paths and no
// external (CDN) references: `sumi serve` serves dist/ as it is.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000, sourcemap: false },
  server: { proxy: { '/api': 'http://127.0.0.1:8188' } },
});
