import { defineConfig } from 'vite';

// Built into the provider's classpath (webroot/) by the Maven build; relative paths so it works under any prefix.
export default defineConfig({
  base: './',
  build: {
    outDir: process.env.ATTEST402_WEB_OUT ?? 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  logLevel: 'warn',
});
