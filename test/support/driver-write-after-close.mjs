// Run as a child process by test/store/driver-patch.int.test.ts: a reserved connection whose backend
// is terminated server side, then two queries on it. Unpatched postgres.js 3.4.9 throws a TypeError
// out of a setImmediate on the second (connection.js nextWrite), which ends the process; patched, the
// process lives, every query settles or is bounded, and a new connection works. (The second query on the dead reserved
// connection may still never settle: another upstream defect of reserve(), which we do not use; the
// gateway bounds every store wait with its health check.) Prints what happened as JSON.
import postgres from 'postgres';

const url = process.argv[2];
const sql = postgres(url, { max: 2, onnotice: () => {} });
const killer = postgres(url, { max: 1, onnotice: () => {} });
const code = (p) => p.then(() => 'ok', (e) => e.code ?? e.name);

const reserved = await sql.reserve();
const [{ pid }] = await reserved`SELECT pg_backend_pid() AS pid`;
await killer`SELECT pg_terminate_backend(${pid})`;
const first = await code(reserved`SELECT 1`);
const second = await code(Promise.race([reserved`SELECT 1`, new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error('hung'), { code: 'HUNG' })), 3000))]));
reserved.release();
// the released dead connection serves the next pooled query: unpatched, its write throws out of setImmediate
const pooled = await code(Promise.race([sql`SELECT 1`, new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error('hung'), { code: 'HUNG' })), 3000))]));
const fresh = postgres(url, { max: 1, onnotice: () => {} });
const after = await code(fresh`SELECT 1`);
process.stdout.write(JSON.stringify({ first, second, pooled, after }) + '\n');
await Promise.all([sql.end({ timeout: 1 }), killer.end({ timeout: 1 }), fresh.end({ timeout: 1 })]);
process.exit(0);
