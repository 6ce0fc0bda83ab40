// The mapping fuzzer, long: `npm run fuzz -- map [N] [--seed S]` maps N mutated golden fixtures (default
// 100,000; CI runs a few hundred per test run) and validates every Bundle. FUZZ_SEEDS=DIR mutates the
// .hl7 files under DIR instead (a feed's own samples). Prints each wrong outcome
// with the input that caused it (fixtures are synthetic: no PHI) and exits 1 when there was one.
import fc from 'fast-check';
import { mutate, mutation, outcome, SEED_FILES } from '../mapping/mutation.js';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const seedAt = args.indexOf('--seed');
const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : Date.now() % 2 ** 31;
console.log(`mapping fuzz: ${n.toLocaleString('en-US')} mutations of ${SEED_FILES.length} files, seed ${seed}`);

const counts = new Map<string, number>();
let wrong = 0;
const started = performance.now();
fc.sample(mutation, { numRuns: n, seed }).forEach((m, i) => {
  const text = mutate(m);
  const o = outcome(text, true);
  const key = o.kind === 'wrong' ? 'wrong' : o.code ?? o.kind;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  if (o.kind === 'wrong') {
    wrong++;
    console.log(`\n#${i} from ${SEED_FILES[m.seed]}: ${o.why.slice(0, 500)}\n${JSON.stringify(text)}`);
  }
  if ((i + 1) % 10_000 === 0) console.log(`  ${(i + 1).toLocaleString('en-US')} done, ${wrong} wrong`);
});
console.log(`\n${[...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`${wrong} wrong in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = wrong ? 1 : 0;
