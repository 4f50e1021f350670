import { defineConfig } from 'vitest/config';

// `npm test`: Node-only suites. Suites that need a system binary (Prometheus,
// Chromium) live in test/e2e and run under `npm run test:e2e`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Leak tests call gc(); worker-thread suites need real threads, not vitest's.
    pool: 'forks',
    execArgv: ['--expose-gc'],
  },
});
