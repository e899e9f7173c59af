import { Client } from 'pg';
import { config } from '../config';
import { followerFor, listenInProcess } from '../db';
import { logger } from '../ops/logger';
import { CHANGES_CHANNEL } from './events';

// Where the change events come from: one LISTEN per process on the channel the triggers notify
// (migration change_events). On PostgreSQL a connection of its own, outside the query pool (a
// pooled connection would be handed to queries, and a LISTEN is per session), to
// DATABASE_LISTEN_URL or DATABASE_URL; it reconnects with backoff when the database goes away and
// says so in the log. A notification carries nothing but a wake-up: the events are read from the
// change log (src/realtime/change-feed.ts), so those committed while it is away are read once it
// listens again (`onListening`). On PGlite, the embedded database's one session listens in process.

/** The source of the process's change notifications. */
export interface ChangeSource {
  /** Starts listening; resolves once it listens or, failing that, once `waitMs` has passed. */
  start(waitMs: number): Promise<void>;
  /** Whether it listens now. */
  readonly listening: boolean;
  stop(): Promise<void>;
}

const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** A quiet LISTEN connection is checked this often: a dead one is found and replaced. */
const HEARTBEAT_MS = 15_000;

export class PostgresChangeSource implements ChangeSource {
  private client: Client | undefined;
  private started = false;
  private stopped = false;
  private failures = 0;
  private lostAt = 0;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  listening = false;

  /** A libpq host list's follower (src/db/host-list.ts): the LISTEN connection moves with the primary. */
  private readonly follower: ReturnType<typeof followerFor>;

  constructor(
    private readonly url: string,
    private readonly onPayload: (payload: string) => void,
    private readonly onListening: () => void = () => undefined,
    /** The LISTEN connection is lost: notifications may be missed until onListening. */
    private readonly onLost: () => void = () => undefined,
  ) {
    this.follower = followerFor(url);
    // A LISTEN on a demoted primary would hear nothing from then on: drop it, and the reconnect
    // goes to the new primary.
    this.follower?.on('move', () => {
      if (this.stopped) return;
      const client = this.client;
      if (client) this.lost(client, new Error('the primary moved to another host'));
      else if (this.retry) {
        // Waiting out a backoff grown while no host was primary: the new one is there now.
        clearTimeout(this.retry);
        this.retry = undefined;
        void this.connect();
      }
    });
  }

  start(waitMs: number): Promise<void> {
    if (!this.started) {
      this.started = true;
      void this.connect();
    }
    if (this.listening || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.waiters.add(done);
    });
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    await this.follower?.ready();
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.follower?.url ?? this.url,
      connectionTimeoutMillis: config.connectTimeoutMs,
      query_timeout: config.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: HEARTBEAT_MS,
    });
    this.client = client;
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    client.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL && message.payload !== undefined) this.onPayload(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      this.lost(client, error as Error);
      return;
    }
    if (this.client !== client || this.stopped) return;
    if (this.failures > 0) {
      logger.warn(
        `Realtime: listening for changes again after ${Math.round(performance.now() - this.lostAt)} ms (${this.failures} failed attempts); reading what was committed meanwhile from the change log`,
      );
    }
    this.failures = 0;
    this.listening = true;
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: Error) => this.lost(client, error));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
    for (const waiter of [...this.waiters]) waiter();
    // Whatever was committed while no one listened is in the log: read it now.
    this.onListening();
  }

  private lost(client: Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    const wasListening = this.listening;
    this.listening = false;
    if (wasListening) this.onLost();
    this.follower?.suspect();
    clearInterval(this.heartbeat);
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.stopped) return;
    if (this.failures === 0) {
      this.lostAt = performance.now();
      logger.warn(
        `Realtime: the LISTEN connection to PostgreSQL is lost (${error.message}); reconnecting with backoff; the events committed meanwhile are read from the change log once it is back`,
      );
    } else {
      logger.debug(`Realtime: reconnecting the LISTEN connection failed (${error.message})`);
    }
    const delay = Math.min(BACKOFF_FIRST_MS * 2 ** this.failures, BACKOFF_MAX_MS) * (0.5 + Math.random() / 2);
    this.failures++;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, delay);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    for (const waiter of [...this.waiters]) waiter();
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}

/** PGlite: its one session listens; the notifications come with the answers of the statements. */
export class InProcessChangeSource implements ChangeSource {
  private listen: Promise<(() => Promise<void>) | undefined> | undefined;
  listening = false;

  constructor(
    private readonly subscribe: NonNullable<typeof listenInProcess>,
    private readonly onPayload: (payload: string) => void,
  ) {}

  async start(): Promise<void> {
    this.listen ??= this.subscribe(CHANGES_CHANNEL, this.onPayload).then(
      (unlisten) => {
        this.listening = true;
        return unlisten;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'Realtime: cannot listen for changes in the embedded database');
        return undefined;
      },
    );
    await this.listen;
  }

  async stop(): Promise<void> {
    const unlisten = await this.listen;
    this.listening = false;
    // The database may be closing already: nothing to undo then.
    await unlisten?.().catch(() => undefined);
  }
}

/** The source for this process's database. */
export function createChangeSource(
  onPayload: (payload: string) => void,
  onListening: () => void,
  onLost: () => void,
): ChangeSource {
  if (listenInProcess) return new InProcessChangeSource(listenInProcess, onPayload);
  return new PostgresChangeSource(config.listenUrl!, onPayload, onListening, onLost);
}
