import { defineConfig } from 'vitest/config';

// `npm run test:pg-versions`: the store suite against several PostgreSQL majors in containers
// (testcontainers). Needs a Docker engine; without one every test is skipped, with the reason.
export default defineConfig({
  test: {
    include: ['test/pg-versions/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
