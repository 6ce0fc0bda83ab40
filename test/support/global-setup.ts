// Tests always run against a real PostgreSQL: TEST_DATABASE_URL when set (CI: the machine's
// PostgreSQL 15), else an embedded server started for this run in .test-pg/ (kept between runs).
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedServer } from '../../src/store/embedded.js';
import { silentLogger } from '../../src/obs/log.js';

let server: EmbeddedServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    server = await startEmbedded('.test-pg', 0, silentLogger);
    url = server.url;
  }
  project.provide('adminDatabaseUrl', url);
  return async () => {
    // a server adopted from another test run is left to that run
    if (server && !server.adopted) await server.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}
