import { defineConfig } from 'vitest/config';

// Mapping is pure: no PostgreSQL globalSetup needed, unlike the root config (which runs the
// *.int.test.ts here, the re-keying against a real store).
export default defineConfig({ test: { include: ['test/mapping/**/*.test.ts'], exclude: ['test/mapping/**/*.int.test.ts'], testTimeout: 60_000 } });
