// npm run bench -- <name>...   (ingest | parse | map | oncall | timers | delivery | audit | pipeline | signin | phi | token; no name runs all)
// Each benchmark prints its figures beside a baseline measured in the same run, with the ratio.
import { randomBytes } from 'node:crypto';
import { Keyring, installKeyring, pooledRandom } from '../src/crypto/index.js';

// the benchmarks call the store directly: PHI values are sealed as in the gateway, under a key of this run
installKeyring(new Keyring({ keys: [{ id: 'bench', key: randomBytes(32) }], active: 'bench', searchKey: randomBytes(32), random: pooledRandom() }));
const ALL = ['ingest', 'parse', 'map', 'oncall', 'timers', 'delivery', 'audit', 'pipeline', 'signin', 'phi', 'token'];
// names are the words that are neither a --flag nor a flag's value (`--n 4000`)
const names = process.argv.slice(2).filter((a, i, all) => !a.startsWith('-') && !(all[i - 1]?.startsWith('--') && /^[\d.,]+$|^(embedded|machine)$/.test(a)));
for (const name of names.length ? names : ALL) {
  if (!ALL.includes(name)) {
    console.error(`unknown benchmark '${name}' (have: ${ALL.join(', ')})`);
    process.exit(2);
  }
  const mod = (await import(`./${name}.ts`)) as { run: (args: string[]) => Promise<void> };
  console.log(`\n## bench ${name}`);
  await mod.run(process.argv.slice(2));
}
