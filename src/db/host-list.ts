import { EventEmitter } from 'node:events';
import { Client, type Pool, type PoolClient } from 'pg';
import { config } from '../config';
import { logger } from '../ops/logger';
import { databaseFailure } from './failures';

// libpq host lists (`postgresql://u@h1:5432,h2:5433/db?target_session_attrs=read-write`): every
// libpq client and pgJDBC connect to whichever listed host has the session attributes asked for,
// so a promoted standby is found by the next connection. node-postgres does not: pg-connection-string
// 2.14 throws "Invalid URL" on such a URL, multi-host support for pg's JS driver is an open pull
// request (brianc/node-postgres#3643, unmerged), pg-native's libpq is not given the list either
// (brianc/node-pg-native#96), and Prisma's own URL parsing refuses it (prisma/prisma#13493). The
// alternatives in front of PostgreSQL (Patroni's REST API behind HAProxy, PgBouncer re-pointed by a
// hook) are deployment choices this server must also work behind, but they are not the server's
// to require. So what libpq does is done here, small: probe each host (`pg_is_in_recovery()` and
// `transaction_read_only`, what libpq's target_session_attrs checks), keep the one that fits, and
// re-check it every PRIMARY_CHECK_INTERVAL_MS (and at once when a connection to it fails), moving
// to another host when it no longer fits. Connections are made by pg's own Client, pointed at the
// chosen host when they connect: pools, the LISTEN connection, the migrations' session and the
// replicas' lag check all follow the same HostFollower.

/** libpq's target_session_attrs values. */
export const sessionAttrs = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'] as const;
export type SessionAttrs = (typeof sessionAttrs)[number];

export interface Host {
  host: string;
  port: number;
}

export interface HostList {
  hosts: Host[];
  attrs: SessionAttrs;
  /** One URL per host, in the list's order: the same user, database and parameters, without target_session_attrs. */
  urls: string[];
}

const urlShape = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)([^?#]*)(\?[^#]*)?$/;

/** Splits a libpq URL's host list; a URL naming one host gives a list of one. */
export function parseHostList(url: string): HostList {
  const match = urlShape.exec(url);
  if (!match) throw new Error(`Not a postgresql:// URL: ${redact(url)}`);
  const [, scheme, userinfo = '', hostPart = '', path = '', query = ''] = match;
  const params = new URLSearchParams(query.slice(1));
  const attrs = (params.get('target_session_attrs') ?? 'any') as SessionAttrs;
  if (!sessionAttrs.includes(attrs)) {
    throw new Error(`target_session_attrs must be one of ${sessionAttrs.join(', ')}, got "${attrs}"`);
  }
  params.delete('target_session_attrs');
  const rest = params.toString();
  const hosts = (hostPart === '' ? ['localhost'] : hostPart.split(',')).map((item): Host => {
    // [::1]:5433, [::1], host:5433, host
    const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(item);
    const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : (item.split(':') as [string, string?]);
    if (!host) throw new Error(`An empty host in the host list of ${redact(url)}`);
    return { host, port: port ? Number(port) : 5432 };
  });
  return {
    hosts,
    attrs,
    urls: hosts.map(
      ({ host, port }) =>
        `${scheme}${userinfo}${host.includes(':') ? `[${host}]` : host}:${port}${path}${rest ? `?${rest}` : ''}`,
    ),
  };
}

/** Whether a URL needs following: several hosts, or session attributes to check. */
export function isHostList(url: string): boolean {
  const list = parseHostList(url);
  return list.hosts.length > 1 || list.attrs !== 'any';
}

/** A URL without its password: what may be logged of it. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export function nameOfHost({ host, port }: Host): string {
  return `${host}:${port}`;
}

/** What a host said of itself. */
export interface HostState {
  standby: boolean;
  readOnly: boolean;
}

/** Connects to one host and asks what libpq's target_session_attrs checks; rejects when it cannot. */
export async function probeHost(url: string, timeoutMs: number): Promise<HostState> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<HostState>(
      "SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') = 'on' AS \"readOnly\"",
    );
    return rows[0]!;
  } finally {
    client.end().catch(() => undefined);
  }
}

/** Whether a host in `state` has the session attributes `attrs` asks for (prefer-standby: any; see pickHost). */
export function fits(attrs: SessionAttrs, state: HostState): boolean {
  switch (attrs) {
    case 'read-write':
      return !state.readOnly;
    case 'read-only':
      return state.readOnly;
    case 'primary':
      return !state.standby;
    case 'standby':
      return state.standby;
    default:
      return true;
  }
}

/**
 * The index of the host to connect to, given what each said (null: it did not answer), as libpq
 * picks: the first in the list that fits; for prefer-standby the first standby, else the first
 * that answered. Null when none fits.
 */
export function pickHost(attrs: SessionAttrs, states: readonly (HostState | null)[]): number | null {
  if (attrs === 'prefer-standby') {
    const standby = states.findIndex((state) => state?.standby === true);
    if (standby !== -1) return standby;
  }
  const index = states.findIndex((state) => state !== null && fits(attrs, state));
  return index === -1 ? null : index;
}

export interface FollowerOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Says what a host is (probeHost unless a test drives it). */
  probe?: (url: string, timeoutMs: number) => Promise<HostState>;
}

/**
 * The host of a list that fits its target_session_attrs, found at start and re-checked every
 * intervalMs: when the host in use stops answering or no longer fits (a primary lost or demoted),
 * every host is probed (in parallel: a host that hangs costs one timeout, not one per host) and
 * the first that fits is used from then on ('move' is emitted). While none fits, the last one
 * stays in use: its connections fail, and the requests are answered 503 DATABASE_UNAVAILABLE.
 */
export class HostFollower extends EventEmitter {
  readonly list: HostList;
  private index = 0;
  private found: Promise<void> | undefined;
  private checking: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastCheck = 0;
  private missing = false;
  private readonly probe: (url: string, timeoutMs: number) => Promise<HostState>;

  constructor(
    url: string,
    private readonly options: FollowerOptions,
  ) {
    super();
    this.list = parseHostList(url);
    this.probe = options.probe ?? probeHost;
  }

  /** The host in use now. */
  get host(): Host {
    return this.list.hosts[this.index]!;
  }

  /** The URL of the host in use now (one host: any client can parse it). */
  get url(): string {
    return this.list.urls[this.index]!;
  }

  /** Resolves once the first search has ended (found or not); starts the checks. */
  ready(): Promise<void> {
    if (!this.found) {
      this.found = this.check();
      this.timer = setInterval(() => void this.check(), this.options.intervalMs);
      // The checks alone must not keep a process alive that has nothing else to do.
      this.timer.unref();
    }
    return this.found;
  }

  /** A connection to the host in use failed: check now rather than at the next interval (at most every 100 ms). */
  suspect(): void {
    if (!this.found || performance.now() - this.lastCheck < 100) return;
    void this.check();
  }

  /** One check (one running is waited for instead). Never rejects. */
  check(): Promise<void> {
    this.checking ??= this.round().finally(() => {
      this.checking = undefined;
      this.lastCheck = performance.now();
    });
    return this.checking;
  }

  private async round(): Promise<void> {
    const { attrs, urls } = this.list;
    const ask = (url: string) => this.probe(url, this.options.timeoutMs).catch(() => null);
    // The host in use first, alone: while it fits, nothing else is asked. prefer-standby on a
    // host that is not a standby looks for one each time.
    const current = await ask(this.url);
    if (current && fits(attrs, current) && (attrs !== 'prefer-standby' || current.standby || urls.length === 1)) {
      this.missing = false;
      return;
    }
    const states = await Promise.all(urls.map((url, i) => (i === this.index ? current : ask(url))));
    const next = pickHost(attrs, states);
    if (next === null) {
      if (!this.missing) {
        this.missing = true;
        logger.error(
          `No host of ${this.list.hosts.map(nameOfHost).join(',')} is ${attrs === 'any' ? 'reachable' : attrs}: ` +
            `staying on ${nameOfHost(this.host)} and checking every ${this.options.intervalMs} ms`,
        );
      }
      return;
    }
    this.missing = false;
    if (next === this.index) return;
    const from = this.host;
    this.index = next;
    logger.warn(`Database host ${nameOfHost(from)} no longer fits (${attrs}): moving to ${nameOfHost(this.host)}`);
    this.emit('move', this.host, from);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const followers = new Map<string, HostFollower>();

/** The one follower of a host-list URL in this process (shared by every use of that URL); undefined for a plain URL. */
export function followerFor(url: string): HostFollower | undefined {
  if (!isHostList(url)) return undefined;
  let follower = followers.get(url);
  if (!follower) {
    follower = new HostFollower(url, {
      intervalMs: config.primaryCheckIntervalMs,
      timeoutMs: config.connectTimeoutMs,
    });
    followers.set(url, follower);
  }
  return follower;
}

/** Stops every follower's checks (the database is closing). */
export function stopFollowers(): void {
  for (const follower of followers.values()) follower.stop();
}

/**
 * A pg Client class whose connections go to the follower's host at the time they connect (after
 * its first search): pg Pool makes its clients with `new Client(options)`, and the host a pool
 * was given is read only in connect.
 */
export function followingClient(follower: HostFollower): typeof Client {
  type Connect = (callback?: (error: Error | null) => void) => Promise<unknown> | undefined;
  class FollowingClient extends Client {}
  const connect = Client.prototype.connect as unknown as Connect;
  (FollowingClient.prototype as unknown as { connect: Connect }).connect = function (
    this: { host: string; port: number; connectionParameters: Host },
    callback,
  ) {
    const go = () => {
      const { host, port } = follower.host;
      this.host = this.connectionParameters.host = host;
      this.port = this.connectionParameters.port = port;
      return connect.call(this, callback);
    };
    const ready = follower.ready();
    if (!callback) return ready.then(go);
    void ready.then(go);
    return undefined;
  };
  return FollowingClient;
}

/** What a pool or a client of `url` is made with: a host list's first URL and its following Client, or `url` itself. */
export function connectionFor(url: string): { connectionString: string; Client?: typeof Client } {
  const follower = followerFor(url);
  return follower
    ? { connectionString: follower.list.urls[0]!, Client: followingClient(follower) }
    : { connectionString: url };
}

/**
 * Makes `pool` (made with connectionFor) follow: a connection it hands out that was made to
 * another host than the one in use now (idle in the pool since before a move) is closed and
 * another taken, and a connection that cannot be made has the follower check at once.
 */
export function followWithPool(pool: Pool, url: string): Pool {
  const follower = followerFor(url);
  if (!follower) return pool;
  pool.on('error', () => follower.suspect());
  const connect = pool.connect.bind(pool) as () => Promise<PoolClient>;
  const fresh = async (): Promise<PoolClient> => {
    for (let attempt = 0; ; attempt++) {
      let client: PoolClient;
      try {
        client = await connect();
      } catch (error) {
        if (databaseFailure(error) !== null) follower.suspect();
        throw error;
      }
      const { host, port } = client as unknown as Host;
      if ((host === follower.host.host && port === follower.host.port) || attempt >= 3) return client;
      client.release(true);
    }
  };
  pool.connect = ((callback?: (error: Error | undefined, client?: PoolClient, done?: () => void) => void) => {
    if (!callback) return fresh();
    fresh().then(
      (client) => callback(undefined, client, () => client.release()),
      (error: Error) => callback(error),
    );
    return undefined;
  }) as Pool['connect'];
  return pool;
}

/** The synchronous replication settings a server's sessions get (src/db/synchronous-standby.ts). */
export async function probeSettings(url: string, timeoutMs: number): Promise<{ names: string; commit: string }> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ names: string; commit: string }>(
      "SELECT current_setting('synchronous_standby_names') AS names, current_setting('synchronous_commit') AS commit",
    );
    return rows[0]!;
  } finally {
    client.end().catch(() => undefined);
  }
}
