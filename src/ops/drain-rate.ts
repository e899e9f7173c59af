// The measured drain of a queue: admission's (src/http/admission.ts) and the database's, for a
// connection of the pool (src/db/pools.ts) or a turn on the embedded database (src/db/pglite.ts).

/**
 * How fast a queue drains while it has a backlog: when the last of its recent departures left.
 * With `waiting` in line ahead, a newcomer's wait is about waiting / rate. Unknown (null) until
 * enough departures of the current backlog were seen: a burst is admitted to wait, and its own
 * drain is measured.
 *
 * Only departures with others still waiting behind them count, and the one that empties the
 * queue ends the measure. A departure from a queue about to empty is paced by arrivals (the
 * tail of a burst still being read and parsed), not by capacity; and the rate of one backlog says
 * little of the next: a burst arriving 500 ms after another was measured against the first one's
 * tail (on a cold process, slower than the second burst would be), and had 413 of its 1,000
 * small reads refused at once although the server then drained it all in 1.8 s.
 */
export class DrainRate {
  private static readonly SAMPLES = 64;
  /**
   * Departures before the rate counts. The first of a backlog leave while the rest of its burst
   * is still being read and parsed, slower than the queue then drains: measured from 8 of them,
   * 9 or 10 of a burst of 1,000 small reads were refused at once on a quiet machine (each round
   * done in under 2 s). 32 is one client's share of the operations in execution
   * (MAX_OPERATIONS_PER_CLIENT).
   */
  private static readonly ENOUGH = 32;
  private readonly times: number[] = [];
  private next = 0;

  constructor(
    /** Departures older than this say nothing of the rate now. */
    private readonly windowMs: number,
  ) {}

  /** A departure from the queue, now, with `left` still waiting behind it. */
  departed(left: number, now = performance.now()): void {
    if (left === 0) {
      this.times.length = 0;
      this.next = 0;
      return;
    }
    if (this.times.length < DrainRate.SAMPLES) this.times.push(now);
    else this.times[this.next] = now;
    this.next = (this.next + 1) % DrainRate.SAMPLES;
  }

  /**
   * Departures per ms lately, between the first and the last of them (the time since the last is
   * not counted: the queue may have been empty, not slow), or null when too few were seen in the
   * window. A queue that stops draining lets its departures age out of the window: then its
   * waiters wait, and their own deadlines decide.
   */
  perMs(now = performance.now()): number | null {
    let recent = 0;
    let oldest = now;
    let newest = -Infinity;
    for (const time of this.times) {
      if (now - time > this.windowMs) continue;
      recent++;
      if (time < oldest) oldest = time;
      if (time > newest) newest = time;
    }
    if (recent < DrainRate.ENOUGH || newest <= oldest) return null;
    return (recent - 1) / (newest - oldest);
  }

  /** The expected wait, in ms, behind `ahead` in line, or null when the rate is not known. */
  waitMs(ahead: number, now = performance.now()): number | null {
    const rate = this.perMs(now);
    return rate === null ? null : (ahead + 1) / rate;
  }
}
