import { Pool } from 'pg';
import type { ReadOn, SendAs, Values } from './prepared-statements';
import { databaseFailure } from './failures';
import { connectionFor, followWithPool, nameOfHost, parseHostList } from './host-list';
import { logger } from '../ops/logger';
import { failoversFrom, readsOn, type ReplicaState, type ReplicaStatus } from '../ops/metrics';

// Read replicas (DATABASE_READ_URL): the batched reads of queries (the loaders and the root lists)
// go to a streaming replica of the primary, in turn; a mutation's statements and every read of
// its payload go to the primary (src/graphql/context.ts routes them), and so do the reads of subscription
// events (src/realtime/hub.ts: an event can arrive before a replica has replayed the commit that
// raised it). Whether a replica may be read from is decided in the background, by a check of
// every server every REPLICA_CHECK_INTERVAL_MS, never on a request's path: a replica more than
// MAX_REPLICA_LAG_MS behind, or that does not answer, is skipped until a check finds it fit again.
// A statement that fails on a replica for want of a connection marks it down at once and runs on
// the next replica, or on the primary: the client does not see it. Nothing relies on a session
// (checks are plain statements), so PgBouncer may stand in front of any server.

/** Where a read goes: a replica fit to be read from (else the primary), or the primary. */
export type ReadTarget = 'replica' | 'primary';

/** Where the reads of one operation go: set per request (src/graphql/context.ts), read by its loaders. */
export interface ReadRoute {
  target: ReadTarget;
}

/** Reads that must see every commit made so far: those of mutations' payloads and of events. */
export const primaryReads: Readonly<ReadRoute> = Object.freeze({ target: 'primary' });

/**
 * A position of the primary's WAL (pg_current_wal_lsn), with the first and the last time a check
 * read it there (performance.now()): a primary writing nothing stays at one position.
 */
export interface WalSample {
  lsn: bigint;
  since: number;
  at: number;
}

/** A pg_lsn's text, "16/B374D848", as a number that compares as positions do. */
export function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/**
 * How far behind the primary a replica that has replayed up to `replayed` is at time `at`: the
 * time since the primary was last seen at a position the replica has reached, so the replica holds
 * every commit the primary held then (`reached`). When it has reached none of the samples, at
 * least the time since the oldest was first seen (`reached` false: by how much more is not known).
 * Positions, not pg_last_xact_replay_timestamp(): that timestamp stops at the last commit, so on a
 * primary with nothing to commit it grows without the replica being behind in anything, and it
 * compares two machines' clocks.
 */
export function lagBehind(
  samples: readonly WalSample[],
  replayed: bigint,
  at: number,
): { ms: number; reached: boolean } | null {
  for (let i = samples.length - 1; i >= 0; i--) {
    const sample = samples[i]!;
    if (sample.lsn <= replayed) return { ms: Math.max(0, at - sample.at), reached: true };
  }
  return samples.length === 0 ? null : { ms: Math.max(0, at - samples[0]!.since), reached: false };
}

/**
 * Why a statement failed on a replica, when running it elsewhere is the answer: `connection`,
 * the replica cannot be reached or dropped the connection (it is marked down), as
 * src/db/failures.ts classifies it for every other purpose, or no connection of its pool came in
 * time; `recovery`, the replica cancelled it to replay WAL (a hot standby's conflict with recovery,
 * SQLSTATE 40001 or 40P01 on a read-only session). Null for the statement's own failures (a
 * statement timeout, bad input), which another server would give as well.
 */
export function replicaFailure(error: unknown): 'connection' | 'recovery' | null {
  const failure = databaseFailure(error);
  if (failure === 'unreachable' || failure === 'lost') return 'connection';
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === '40001' || code === '40P01') return 'recovery';
  // pg-pool's wait for a connection: a replica too slow to give one is skipped like one that is away.
  if (typeof message === 'string' && message.includes('timeout exceeded when trying to connect')) return 'connection';
  return null;
}

/** host:port/database of a URL (host,host/database of a libpq host list): what may be logged of it. */
function nameOf(url: string): string {
  const { hosts, urls } = parseHostList(url);
  return `${hosts.map(nameOfHost).join(',')}${new URL(urls[0]!).pathname || '/'}`;
}

interface Replica {
  readonly name: string;
  /** The pool its reads use (PG_POOL_MAX connections, as the primary's). */
  readonly pool: Pool;
  /** One connection for the checks, so that they never wait behind requests nor requests behind them. */
  readonly probe: Pool;
  readonly reads: { inc(): void };
  readonly failovers: { inc(): void };
  state: ReplicaState;
  lagMs: number | null;
  warnedNotStandby: boolean;
}

export interface ReplicaRouterOptions {
  /** The primary's pool: reads of the primary, and of replicas that cannot serve them. */
  primary: Pool;
  /** The primary's URL: a libpq host list is followed to its primary (src/db/host-list.ts), by the lag check too. */
  primaryUrl: string;
  replicaUrls: readonly string[];
  /** Makes the pool of a replica's reads, as the primary's is made. */
  newPool: (url: string, name: string) => Pool;
  readOn: ReadOn;
  maxLagMs: number;
  checkIntervalMs: number;
  /** How long a check waits for a connection and for its answer. */
  checkTimeoutMs: number;
  /** The clock of the WAL samples (performance.now() unless a test drives it). */
  now?: () => number;
}

/** Most samples of the primary's WAL position kept (at one a second, hours of them). */
const MAX_SAMPLES = 10_000;

export class ReplicaRouter {
  private readonly replicas: Replica[];
  private readonly primaryProbe: Pool;
  private readonly primaryReads = readsOn('primary');
  private readonly samples: WalSample[] = [];
  private readonly now: () => number;
  private turn = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly options: ReplicaRouterOptions) {
    this.now = options.now ?? (() => performance.now());
    this.primaryProbe = this.probe(options.primaryUrl, 'the primary');
    const names = new Set<string>();
    this.replicas = options.replicaUrls.map((url, i) => {
      let name = nameOf(url);
      if (names.has(name)) name = `${name}#${i + 1}`;
      names.add(name);
      return {
        name,
        pool: options.newPool(url, name),
        probe: this.probe(url, name),
        reads: readsOn(name),
        failovers: failoversFrom(name),
        state: 'unchecked',
        lagMs: null,
        warnedNotStandby: false,
      };
    });
  }

  private probe(url: string, name: string): Pool {
    // A libpq host list (the primary's, or a replica's with prefer-standby) is checked where its
    // follower points now: after a failover, the new primary's WAL position.
    const pool = followWithPool(
      new Pool({
        ...connectionFor(url),
        max: 1,
        connectionTimeoutMillis: this.options.checkTimeoutMs,
        query_timeout: this.options.checkTimeoutMs,
        allowExitOnIdle: true,
      }),
      url,
    );
    // A lost idle connection is replaced at the next check, which says what is wrong if anything is.
    pool.on('error', (error) => logger.debug(`Replica check of ${name}: connection lost (${error.message})`));
    return pool;
  }

  /** Checks every server now, then every checkIntervalMs in the background; resolves after the first round. */
  start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs);
      // The checks alone must not keep a process alive that has nothing else to do.
      this.timer.unref();
    }
    return this.check();
  }

  /** One round of checks (a round still running is waited for instead). Never rejects. */
  check(): Promise<void> {
    this.checking ??= this.round().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async round(): Promise<void> {
    // The time is taken before the position is asked for: the position read is at least the one
    // the primary had then, so a replica that has reached it held everything the primary held then.
    const at = this.now();
    let sampled = false;
    try {
      const { rows } = await this.primaryProbe.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      this.addSample(at, parseLsn(rows[0]!.lsn));
      sampled = true;
    } catch (error) {
      logger.debug(`Replica check: cannot read the primary's WAL position (${(error as Error).message})`);
    }
    // With no new sample of the primary (it is away), a replica is measured against the last one:
    // its lag is what it was when the primary was last seen, not the time the primary has been away.
    const reference = sampled ? at : this.samples.at(-1)?.at;
    await Promise.all(this.replicas.map((replica) => this.checkReplica(replica, reference)));
  }

  private addSample(at: number, lsn: bigint): void {
    const last = this.samples.at(-1);
    if (last && last.lsn === lsn) last.at = at;
    else this.samples.push({ lsn, since: at, at });
    // Kept: every sample seen in the last maxLagMs, and the newest one before, so that a replica
    // that has reached none of them is known to be further behind than maxLagMs.
    const horizon = at - this.options.maxLagMs;
    let drop = 0;
    while (drop + 1 < this.samples.length && this.samples[drop + 1]!.at <= horizon) drop++;
    drop = Math.max(drop, this.samples.length - MAX_SAMPLES);
    if (drop > 0) this.samples.splice(0, drop);
  }

  private async checkReplica(replica: Replica, reference: number | undefined): Promise<void> {
    let standby: boolean;
    let replayed: string | null;
    try {
      const { rows } = await replica.probe.query<{ standby: boolean; replayed: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
      );
      ({ standby, replayed } = rows[0]!);
    } catch (error) {
      this.mark(replica, 'down', (error as Error).message);
      return;
    }
    if (!standby || replayed === null) {
      // A primary (DATABASE_READ_URL naming DATABASE_URL's server, or a promoted replica): it
      // replays nothing, so there is no lag to measure.
      if (!replica.warnedNotStandby) {
        replica.warnedNotStandby = true;
        logger.warn(
          `Read replica ${replica.name} is not a standby (pg_is_in_recovery() is false): read from it with no lag check`,
        );
      }
      replica.lagMs = 0;
      this.mark(replica, 'usable');
      return;
    }
    const lag = reference === undefined ? null : lagBehind(this.samples, parseLsn(replayed), reference);
    if (lag === null) {
      // The primary has never answered a check: how far behind this replica is cannot be known.
      this.mark(replica, 'lagging', "the primary's WAL position is not known");
      return;
    }
    replica.lagMs = lag.ms;
    if (lag.reached && lag.ms <= this.options.maxLagMs) this.mark(replica, 'usable');
    // Behind every position seen, for less than maxLagMs yet (the process has just started):
    // read from once it is measured, as a replica that keeps up is at the next check.
    else if (!lag.reached && lag.ms <= this.options.maxLagMs && replica.state === 'unchecked') return;
    else this.mark(replica, 'lagging', `${lag.reached ? '' : 'at least '}${Math.round(lag.ms)} ms behind the primary`);
  }

  private mark(replica: Replica, state: ReplicaState, reason?: string): void {
    const was = replica.state;
    replica.state = state;
    if (state === was) return;
    if (state === 'usable') {
      const lag = `${Math.round(replica.lagMs ?? 0)} ms behind the primary`;
      if (was === 'unchecked') logger.info(`Read replica ${replica.name}: reading from it (${lag})`);
      else logger.warn(`Read replica ${replica.name} is fit again (${lag}): reading from it again`);
      return;
    }
    const elsewhere = 'its reads go to the other replicas or the primary until a check finds it fit';
    if (state === 'down') logger.warn(`Read replica ${replica.name} is down (${reason}): ${elsewhere}`);
    else if (state === 'lagging') {
      logger.warn(
        `Read replica ${replica.name} is skipped: ${reason} (MAX_REPLICA_LAG_MS=${this.options.maxLagMs}); ${elsewhere}`,
      );
    }
  }

  /**
   * Runs a read on a usable replica, taking them in turn, or on the primary (`target` primary, or
   * no replica usable, or every usable one failing for want of a connection: see replicaFailure).
   */
  async read(target: ReadTarget, text: string, values: unknown[], sendAs: SendAs): Promise<Values> {
    if (target === 'replica') {
      const count = this.replicas.length;
      for (let i = 0; i < count; i++) {
        const index = (this.turn + i) % count;
        const replica = this.replicas[index]!;
        if (replica.state !== 'usable') continue;
        this.turn = (index + 1) % count;
        try {
          const result = await this.options.readOn(replica.pool, text, values, sendAs);
          replica.reads.inc();
          return result;
        } catch (error) {
          const failure = replicaFailure(error);
          if (failure === null) throw error;
          replica.failovers.inc();
          if (failure === 'connection') this.mark(replica, 'down', (error as Error).message);
        }
      }
    }
    const result = await this.options.readOn(this.options.primary, text, values, sendAs);
    this.primaryReads.inc();
    return result;
  }

  /** Each replica's state and lag, as the last check (or failed read) left them. */
  status(): ReplicaStatus[] {
    return this.replicas.map(({ name, state, lagMs }) => ({ name, state, lagMs }));
  }

  /** Stops the checks and closes the replicas' pools and the checks' connections (not the primary's pool). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    await Promise.all([
      this.primaryProbe.end(),
      ...this.replicas.flatMap((replica) => [replica.pool.end(), replica.probe.end()]),
    ]);
  }
}
