import { type LogEntry, readLogAfter } from '../db';
import { logger } from '../ops/logger';
import { outsideRequest } from '../ops/request-tracking';

// The process's one reader of the change log (migration change_log). NOTIFY only wakes it: each
// wake-up is one read of the log after the last position read, shared by every subscriber of the
// process (the hub fans it out), and wake-ups that come while a read is under way are served by
// one more read after it. Nothing depends on a notification arriving: a reader woken late (its
// LISTEN connection was lost and is back, the database was away) reads everything committed
// meanwhile from the log, in commit order, so nothing is lost and nothing is read twice.

/** Transactions per read: a bigger backlog is read in several, one after the other. */
const READ_TRANSACTIONS = 200;
/** After a failed read (the database away), the next try, without waiting for a notification. */
const RETRY_MS = 1_000;

export class ChangeFeed {
  /** The last position read and handed on: everything up to it has gone to the hub. */
  head = 0;
  private starting: Promise<void> | undefined;
  private started = false;
  private reading: Promise<void> | null = null;
  /** The position a wake-up asked to be read up to, not yet read (0: none). */
  private wanted = 0;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Reads of the log so far (tests and the bench count them). */
  reads = 0;

  constructor(
    private readonly readHead: () => Promise<number>,
    private readonly publish: (entries: readonly LogEntry[]) => void,
    /** After each read of everything committed so far (`ok`), or a failed one (the database away). */
    private readonly onRead: (ok: boolean) => void = () => undefined,
  ) {}

  /** Learns where the log ends now (once): events committed after that are read at the next wake-up. */
  start(): Promise<void> {
    this.starting ??= outsideRequest(() => this.readHead(), 'subscription_event').then(
      (head) => {
        this.head = head;
        this.started = true;
        this.wake(0);
      },
      (error: unknown) => {
        this.starting = undefined;
        throw error;
      },
    );
    return this.starting;
  }

  get ready(): boolean {
    return this.started;
  }

  /**
   * A notification came (`payload`: the position its transaction committed at), or the LISTEN
   * connection is back: read what was committed since. A notification of a position read already
   * (it came late, after a read that covered it) needs no read.
   */
  notified(payload: string): void {
    const position = Number(payload);
    this.wake(Number.isSafeInteger(position) && position > 0 ? position : Infinity);
  }

  /**
   * Reads what was committed since the last read, up to `position` at least (Infinity: whatever
   * there is), now or once the read under way is done, if that one did not reach it.
   */
  wake(position = Infinity): void {
    if (this.stopped) return;
    this.wanted = Math.max(this.wanted, position);
    if (!this.started || this.reading || this.wanted <= this.head) return;
    this.wanted = 0;
    this.reading = this.readAll().finally(() => {
      this.reading = null;
      this.wake(0);
    });
  }

  /** Resolves once a read that began after this call has finished: everything committed before it is handed on. */
  async caughtUp(): Promise<void> {
    await this.start();
    // A read under way may have begun before the call: wait for it, then for one of our own.
    if (this.reading) await this.reading;
    if (!this.reading) this.wake();
    await this.reading;
  }

  private async readAll(): Promise<void> {
    try {
      for (;;) {
        this.reads++;
        const entries = await outsideRequest(() => readLogAfter(this.head, READ_TRANSACTIONS), 'subscription_event');
        if (this.stopped) return;
        if (entries.length === 0) return this.onRead(true);
        this.head = entries.at(-1)!.position;
        this.publish(entries);
        let transactions = 0;
        let last = -1;
        for (const entry of entries) if (entry.position !== last) ((last = entry.position), transactions++);
        if (transactions < READ_TRANSACTIONS) return this.onRead(true);
      }
    } catch (error) {
      this.onRead(false);
      logger.warn({ err: error }, 'Realtime: reading the change log failed; trying again');
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.wake(), RETRY_MS);
      this.retry.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }
}
