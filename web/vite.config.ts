// Builds the dashboard into web/dist (`vite build web`, run by `npm run build`); Vigil serves it at `/`.
// `vite web` serves it with hot reload, sending API calls to a Vigil on port 8080.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});
