/** What bench/load.ts (the server) and bench/floor.ts (the SQL floor) report for one measurement. */
export interface Measurement {
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles in ms, from every request of the measurement. */
  p50: number;
  p99: number;
  /** Anything but these being all zero fails the run. */
  failures: Record<string, number>;
  statusCodes?: Record<string, number>;
  /** CPU time (ms) the server process used during the measurement (server only). */
  serverCpuMs?: number;
  /** CPU time (ms) the PostgreSQL backends of the bench database used during the measurement. */
  pgCpuMs?: number;
  warmupRequests: number;
}

/** The nearest-rank percentile of sorted values (as HdrHistogram and autocannon report them). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}
