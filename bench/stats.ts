// Small helpers for benchmark figures.
export function percentile(sortedMs: number[], p: number): number {
  if (!sortedMs.length) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[i]!;
}

export function summarise(latenciesMs: number[], seconds: number): { rate: number; p50: number; p99: number; n: number } {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return { rate: s.length / seconds, p50: percentile(s, 50), p99: percentile(s, 99), n: s.length };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
