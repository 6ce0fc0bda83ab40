import { defineConfig } from 'vitest/config';

// Unit tests (*.test.ts) and integration tests (*.int.test.ts) run together: the integration tests
// need a real PostgreSQL, which test/support/global-setup.ts provides (TEST_DATABASE_URL, else an
// embedded server started for the run). Each test file gets its own database.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['test/pg-versions/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/fast-check-seed.ts', 'test/support/phi-keys.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
