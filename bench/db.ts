// A fresh database per benchmark run on the machine's PostgreSQL (TEST_DATABASE_URL, else the local one).
// BENCH_KEEP_DB=1 leaves each run's database in place (its name printed) to be examined afterwards.
// BENCH_DB_LOCALE=en_US.UTF-8 (say) makes it with that locale instead of the server's default: the
// collation most installations have, where text comparisons in indexes cost more than under C
// (the locale must exist on the machine: `locale -a`; `localedef -i en_US -f UTF-8 en_US.UTF-8`).
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const adminUrl = (): string => process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function freshDatabase(admin: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const a = postgres(admin, { max: 1, onnotice: () => {} });
  const name = `sb_bench_${randomBytes(4).toString('hex')}`;
  const locale = process.env.BENCH_DB_LOCALE;
  if (locale !== undefined && !/^[A-Za-z0-9_.@-]{1,64}$/.test(locale)) throw new Error(`BENCH_DB_LOCALE ${JSON.stringify(locale)} is not a locale name`);
  await a.unsafe(`CREATE DATABASE ${name}${locale ? ` TEMPLATE template0 LOCALE '${locale}'` : ''}`);
  await a.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      if (process.env.BENCH_KEEP_DB === '1') {
        console.log(`  (database ${name} kept: BENCH_KEEP_DB)`);
        return;
      }
      const d = postgres(admin, { max: 1, onnotice: () => {} });
      await d.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

/**
 * `count` stored resources as a store in use holds them (Observations and a Patient per 15, their
 * identifiers and tokens as the extractor writes them), bulk-inserted by SQL in chunks.
 */
export async function preloadResources(sql: postgres.Sql, count: number): Promise<void> {
  const chunk = 100_000;
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk);
    await sql.unsafe(`
      INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, subject, status, identifiers, tokens, search_version, resource)
      SELECT t, id, 1, now() - interval '1 day', 'Patient/p' || (g / 15), 'final',
             ARRAY['urn:ietf:rfc:3986|urn:uuid:' || md5(t || g)],
             ARRAY['identifier|urn:ietf:rfc:3986|urn:uuid:' || md5(t || g), 'code|http://loinc.org|2823-3', 'subject>Patient/p' || (g / 15)], 1,
             jsonb_build_object('resourceType', t, 'id', id, 'status', 'final',
               'identifier', jsonb_build_array(jsonb_build_object('system', 'urn:ietf:rfc:3986', 'value', 'urn:uuid:' || md5(t || g))),
               'code', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', 'http://loinc.org', 'code', '2823-3', 'display', 'Potassium'))),
               'subject', jsonb_build_object('reference', 'Patient/p' || (g / 15)),
               'valueQuantity', jsonb_build_object('value', 4.2, 'unit', 'mmol/L', 'system', 'http://unitsofmeasure.org', 'code', 'mmol/L'))
      FROM (SELECT g, CASE WHEN g % 15 = 0 THEN 'Patient' ELSE 'Observation' END AS t, 'pre' || g AS id FROM generate_series(${from}, ${to - 1}) g) s`);
  }
}
