// The store contract on the test run's PostgreSQL (the machine's, or the embedded server).
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { defineStoreContract } from '../support/store-contract.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase({ max: 8 }); });
afterAll(async () => { await db.drop(); });

describe('store contract', () => {
  defineStoreContract(() => db.sql);
});
