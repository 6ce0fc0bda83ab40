// npm run bench -- <name>...   (ingest | parse | map | oncall | timers | delivery | audit | pipeline | signin | token; no name runs all)
// Each benchmark prints its figures beside a baseline measured in the same run, with the ratio.
const ALL = ['ingest', 'parse', 'map', 'oncall', 'timers', 'delivery', 'audit', 'pipeline', 'signin', 'token'];
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
