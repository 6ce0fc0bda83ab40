// Property runs are reproducible: fast-check prints the seed and the counterexample's path when a
// property fails, and FC_SEED=<seed> replays every property of the suite from that seed.
import fc from 'fast-check';

const fromEnv = process.env.FC_SEED;
if (fromEnv !== undefined && /^-?\d+$/.test(fromEnv)) fc.configureGlobal({ seed: Number(fromEnv) });
