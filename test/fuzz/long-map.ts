// The mapping fuzzer, long: `npm run fuzz -- map [N] [--seed S] [--structured]` maps N mutated golden
// fixtures (default 100,000; CI runs a few hundred per test run) and validates every Bundle; with
// --structured, the gateway fuzz's structure-aware mutations (hl7-mutations.ts) instead of
// character edits. FUZZ_SEEDS=DIR mutates the .hl7 files under DIR instead (a feed's own samples).
// Prints each wrong outcome with the input that caused it (fixtures are synthetic: no PHI) and exits 1
// when there was one.
import fc from 'fast-check';
import { mutate, mutation, outcome, SEED_FILES } from '../mapping/mutation.js';
import { hl7Case, messageOf } from './hl7-mutations.js';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const seedAt = args.indexOf('--seed');
const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : Date.now() % 2 ** 31;
const structured = args.includes('--structured');
console.log(`mapping fuzz: ${n.toLocaleString('en-US')} ${structured ? 'structure-aware ' : ''}mutations of ${SEED_FILES.length} files, seed ${seed}`);

/** The samples: each one's message text (made when mapped: a structure-aware one can be large) and the fixture it came from. */
const inputs: { text: (i: number) => string; seed: number }[] = structured
  ? fc.sample(hl7Case, { numRuns: n, seed }).map((c) => ({ text: (i: number) => messageOf(c, `FUZZ${i}`), seed: 'chars' in c.source ? c.source.chars.seed : c.source.seed }))
  : fc.sample(mutation, { numRuns: n, seed }).map((m) => ({ text: () => mutate(m), seed: m.seed }));

const counts = new Map<string, number>();
let wrong = 0;
const started = performance.now();
inputs.forEach((input, i) => {
  const text = input.text(i);
  const o = outcome(text, true);
  const key = o.kind === 'wrong' ? 'wrong' : o.code ?? o.kind;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  if (o.kind === 'wrong') {
    wrong++;
    console.log(`\n#${i} from ${SEED_FILES[input.seed]}: ${o.why.slice(0, 500)}\n${JSON.stringify(text).slice(0, 20_000)}`);
  }
  if ((i + 1) % 10_000 === 0) console.log(`  ${(i + 1).toLocaleString('en-US')} done, ${wrong} wrong`);
});
console.log(`\n${[...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`${wrong} wrong in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = wrong ? 1 : 0;
