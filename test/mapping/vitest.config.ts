import { defineConfig } from 'vitest/config';

// Mapping is pure: no PostgreSQL globalSetup needed, unlike the root config.
export default defineConfig({ test: { include: ['test/mapping/**/*.test.ts'], testTimeout: 60_000 } });
