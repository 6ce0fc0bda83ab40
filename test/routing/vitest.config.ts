import { defineConfig } from 'vitest/config';

// Routing is pure: no PostgreSQL globalSetup needed, unlike the root config.
export default defineConfig({ test: { include: ['test/routing/**/*.test.ts'] } });
