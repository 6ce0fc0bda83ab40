// src/store: SQL, migrations and the embedded default. The only folder that writes SQL.
export * from './db.js';
export * from './migrate.js';
export * from './embedded.js';
export * from './open.js';
export * from './inbox.js';
export * from './fhir-resources.js';
export * from './schedules.js';
