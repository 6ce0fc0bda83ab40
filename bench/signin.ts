// Local sign-in's cost and its timing on each refusal path, over a fresh database on the machine's
// PostgreSQL: a correct password, a wrong password for a real account, an unknown username, each
// timed one attempt at a time in alternating rounds (the machine is shared and noisy), medians
// compared. The unknown-username path verifies a dummy argon2id hash, so its ratio to the wrong-password
// path should be near 1; throttles are cleared between attempts (outside the timing) so none locks.
// The refusal paths run twice, without and with the audit trail (each refusal appends its
// auth.sign-in-refused row in a transaction of its own, beside the lockout count): the ratio of the
// two is the audit's cost on the refusal path.
import { randomBytes } from 'node:crypto';
import { connect } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { LocalAccounts } from '../src/auth/index.js';
import { appendAudit } from '../src/audit/index.js';
import { adminUrl, freshDatabase } from './db.js';
import { fmt } from './stats.js';

const ROUNDS = Number(process.env.BENCH_SIGNIN_ROUNDS ?? 7);
const PER_ROUND = Number(process.env.BENCH_SIGNIN_PER_ROUND ?? 10);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const PASSWORD = 'a benchmark passphrase';

export async function run(): Promise<void> {
  const db = await freshDatabase(adminUrl());
  const sql = connect(db.url, { max: 4 });
  try {
    await migrate(sql);
    const accounts = new LocalAccounts({ sql, secretKey: randomBytes(32) });
    const audited = new LocalAccounts({ sql, secretKey: randomBytes(32), audit: appendAudit });
    await accounts.add({ username: 'op1', role: 'operator', password: PASSWORD });
    const paths: Record<string, (i: number) => Promise<unknown>> = {
      'correct password': () => accounts.signIn({ username: 'op1', password: PASSWORD, address: null }),
      'wrong password': () => accounts.signIn({ username: 'op1', password: 'not the passphrase', address: null }).catch(() => {}),
      'unknown username': (i) => accounts.signIn({ username: `nobody-${i}`, password: PASSWORD, address: null }).catch(() => {}),
      'wrong password, audited': () => audited.signIn({ username: 'op1', password: 'not the passphrase', address: null }).catch(() => {}),
      'unknown username, audited': (i) => audited.signIn({ username: `nobody-${i}`, password: PASSWORD, address: null }).catch(() => {}),
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
    let i = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, attempt] of Object.entries(paths)) {
        for (let k = 0; k < PER_ROUND; k++) {
          const t0 = process.hrtime.bigint();
          await attempt(i++);
          times[name]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
          await sql`DELETE FROM auth_local_throttle`;
        }
      }
    }
    const wrong = median(times['wrong password']!);
    console.log(`(medians of ${ROUNDS * PER_ROUND} sign-ins per path, one at a time, paths alternating by round)`);
    console.log('| path | median ms | ratio to wrong password |');
    console.log('|---|---|---|');
    for (const [name, xs] of Object.entries(times)) console.log(`| ${name} | ${fmt(median(xs), 1)} | ${fmt(median(xs) / wrong, 2)} |`);
    const [pending] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_pending`;
    console.log(`audit rows appended by the audited refusals: ${pending!.n}`);
  } finally {
    await sql.end();
    await db.drop();
  }
}
