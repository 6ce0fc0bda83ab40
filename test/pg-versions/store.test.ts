// The store contract on each supported PostgreSQL major, in containers (testcontainers).
// Without a Docker engine every test is skipped, and the reason is printed.
import { afterAll, beforeAll, describe } from 'vitest';
import { getContainerRuntimeClient } from 'testcontainers';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { connect, type Sql } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { defineStoreContract } from '../support/store-contract.js';

const VERSIONS = (process.env.PG_VERSIONS ?? '13,14,15,16,17').split(',').map((v) => v.trim());

async function dockerMissing(): Promise<string | undefined> {
  try {
    await getContainerRuntimeClient();
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

const noDocker = await dockerMissing();
if (noDocker) console.warn(`test:pg-versions skipped: no container runtime (${noDocker})`);

describe.skipIf(!!noDocker).each(VERSIONS)('PostgreSQL %s', (version) => {
  let container: StartedPostgreSqlContainer;
  let sql: Sql;
  beforeAll(async () => {
    container = await new PostgreSqlContainer(`postgres:${version}-alpine`).start();
    sql = connect(container.getConnectionUri(), { max: 8 });
    await migrate(sql);
  });
  afterAll(async () => {
    await sql?.end();
    await container?.stop();
  });
  defineStoreContract(() => sql);
});
