// npm run fuzz -- [gateway | map | hostile] [options]
//   gateway (default)  the whole HTTP surface and MLLP through the pipeline of a running gateway, FUZZ_SECONDS long
//   map [N] [--seed S] [--structured]  the mapping fuzzer: N mutated golden fixtures mapped and validated (long-map.ts)
//   hostile [--strict] the hostile-input scenario with /healthz latency and VmHWM against the goals
const MODES = ['gateway', 'map', 'hostile'];
const args = process.argv.slice(2);
const mode = MODES.includes(args[0] ?? '') ? args.shift()! : 'gateway';
if (mode !== 'map' && args[0] !== undefined && !args[0].startsWith('-')) {
  console.error(`unknown fuzz mode '${args[0]}' (have: ${MODES.join(', ')}${/^\d+$/.test(args[0]) ? `; the mapping fuzzer is \`npm run fuzz -- map ${args[0]}\`` : ''})`);
  process.exit(2);
}
if (mode === 'map') {
  // long-map.ts reads its own arguments
  await import('./long-map.js');
} else {
  const mod = (await import(mode === 'gateway' ? './gateway.js' : './hostile.js')) as { run: (a: string[]) => Promise<number> };
  process.exitCode = await mod.run(args);
}
