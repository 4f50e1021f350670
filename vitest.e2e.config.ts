import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: suites that need system binaries (installed by .ci/run).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    execArgv: ['--expose-gc'],
    passWithNoTests: false,
  },
});
