import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The ground floor: reads the environment, and imports nothing of the project, so that every
// layer may read it. What is read from files (the trusted documents' manifest) is read by the
// module that uses it.

// A .env file fills in what the environment leaves unset (see .env.example); tests never read one.
if (process.env.NODE_ENV !== 'test' && existsSync('.env')) process.loadEnvFile('.env');

function readInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function readBool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function readChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.toLowerCase() as T;
  if (!choices.includes(value)) throw new Error(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return value;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `24h`, `90m`, `30s`, `7d` or `500ms`, in ms. */
function readDuration(name: string, fallback: string, minMs: number): number {
  const raw = process.env[name] || fallback;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * durationUnits[match[2]!]! : NaN;
  if (!(ms >= minMs))
    throw new Error(`${name} must be a duration of at least ${minMs} ms such as 24h, 90m or 30s, got "${raw}"`);
  return ms;
}

/** The path of the metrics: a plain path of its own, not one the server answers otherwise. */
function readMetricsPath(): string {
  const raw = process.env.METRICS_PATH || '/metrics';
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(raw) || ['/graphql', '/live', '/ready', '/health'].includes(raw)) {
    throw new Error(`METRICS_PATH must be a path of its own, like /metrics, got "${raw}"`);
  }
  return raw;
}

/** Who may call from a browser page of another origin (src/http/cors.ts). */
export interface CorsConfig {
  /** Any origin (CORS_ORIGINS=*). */
  readonly any: boolean;
  /** Any http(s) origin on this machine: localhost, 127.0.0.1, [::1], any port. */
  readonly localhost: boolean;
  /** Origins allowed by name, as a browser sends them (scheme://host[:port]). */
  readonly origins: readonly string[];
  /** Whether such pages may send cookies and HTTP authentication (Access-Control-Allow-Credentials). */
  readonly credentials: boolean;
}

/**
 * CORS_ORIGINS: comma-separated origins, `localhost` for any origin on this machine, `*` for any,
 * `none` for none (same origin only). Unset: localhost in development, none in production.
 */
function readCors(production: boolean): CorsConfig {
  const raw = readText('CORS_ORIGINS') ?? (production ? 'none' : 'localhost');
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const origins: string[] = [];
  for (const entry of entries) {
    if (['*', 'localhost', 'none'].includes(entry)) continue;
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {}
    // A browser's Origin header has no path, no trailing slash, and a lower-case scheme and host.
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry) {
      throw new Error(
        `CORS_ORIGINS must be origins like https://app.example.com (no path, no trailing slash), localhost, * or none, got "${entry}"`,
      );
    }
    origins.push(entry);
  }
  const any = entries.includes('*');
  const credentials = readBool('CORS_CREDENTIALS', false);
  // Browsers refuse credentials with a wildcard; reflecting every origin with them would hand any
  // site the caller's cookies.
  if (any && credentials) throw new Error('CORS_CREDENTIALS=true needs CORS_ORIGINS to name the origins, not *');
  return Object.freeze({ any, localhost: entries.includes('localhost'), origins: Object.freeze(origins), credentials });
}

export const introspectionModes = ['on', 'authenticated', 'off'] as const;
/** INTROSPECTION: answered to anyone, to callers with a valid token only, or to no one. */
export type IntrospectionMode = (typeof introspectionModes)[number];

function readIntrospection(production: boolean): IntrospectionMode {
  const raw = readText('INTROSPECTION')?.toLowerCase();
  if (raw === undefined) return production ? 'authenticated' : 'on';
  // true/false: its values before `authenticated` existed.
  if (['1', 'true', 'yes'].includes(raw)) return 'on';
  if (['0', 'false', 'no'].includes(raw)) return 'off';
  if (!(introspectionModes as readonly string[]).includes(raw)) {
    throw new Error(`INTROSPECTION must be one of ${introspectionModes.join(', ')}, got "${raw}"`);
  }
  return raw as IntrospectionMode;
}

/** Where the metrics are served, and to whom (src/ops/metrics.ts, src/http/management-listener.ts). */
export interface MetricsConfig {
  /** METRICS=false: nowhere. */
  readonly enabled: boolean;
  readonly path: string;
  /** A listener of its own (METRICS_PORT; 0: any free port), or undefined: the server's own port. */
  readonly port: number | undefined;
  /** The address the metrics listener binds (METRICS_HOST). */
  readonly host: string;
  /** A bearer token scrapes must send (METRICS_TOKEN), or undefined. */
  readonly token: string | undefined;
  /**
   * Whether the server's own port answers at `path`: without a listener of its own, in development
   * or with a token (production with neither serves them nowhere: the port is public).
   */
  readonly onMainPort: boolean;
}

function readMetrics(production: boolean): MetricsConfig {
  const enabled = readBool('METRICS', true);
  const port = readText('METRICS_PORT') === undefined ? undefined : readInt('METRICS_PORT', 0, 0, 65535);
  const token = readText('METRICS_TOKEN');
  // Compared in full on every scrape: a short one could be guessed.
  if (token !== undefined && Buffer.byteLength(token) < 16)
    throw new Error('METRICS_TOKEN must be at least 16 characters long');
  return Object.freeze({
    enabled,
    path: readMetricsPath(),
    port,
    host: readText('METRICS_HOST') ?? '127.0.0.1',
    token,
    onMainPort: enabled && port === undefined && (!production || token !== undefined),
  });
}

/** Compression of answers (src/http/compression.ts). */
export interface CompressionConfig {
  readonly enabled: boolean;
  /** Answers smaller than this are sent as they are. */
  readonly thresholdBytes: number;
}

/**
 * A libpq host list's target_session_attrs (src/db/host-list.ts follows the host that has them):
 * the URLs of writes, migrations and LISTEN must reach the primary, so they take only the values
 * that never pick a standby.
 */
function checkSessionAttrs(name: string, url: string, allowed: readonly string[]): void {
  const value = /[?&]target_session_attrs=([^&#]*)/.exec(url)?.[1];
  if (value !== undefined && !allowed.includes(value)) {
    throw new Error(`${name}: target_session_attrs must be one of ${allowed.join(', ')}, got "${value}"`);
  }
}

const primaryAttrs = ['read-write', 'primary', 'any'];

function readDatabaseUrl(): string | undefined {
  const raw = process.env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) {
    throw new Error('DATABASE_URL must be a postgresql:// URL (leave it unset for the embedded PGlite database)');
  }
  checkSessionAttrs('DATABASE_URL', raw, primaryAttrs);
  return raw;
}

/**
 * DATABASE_DIRECT_URL: a session of PostgreSQL's own for what needs one (the migrations' advisory
 * lock), when DATABASE_URL goes through PgBouncer in transaction mode.
 */
function readDirectUrl(databaseUrl: string | undefined): string | undefined {
  const raw = process.env.DATABASE_DIRECT_URL;
  if (raw === undefined || raw === '') return databaseUrl;
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new Error('DATABASE_DIRECT_URL must be a postgresql:// URL');
  if (!databaseUrl)
    throw new Error('DATABASE_DIRECT_URL is set but DATABASE_URL is not (PGlite has no sessions to choose)');
  checkSessionAttrs('DATABASE_DIRECT_URL', raw, primaryAttrs);
  return raw;
}

/** DATABASE_LISTEN_URL: where the LISTEN connection goes (not through PgBouncer in transaction mode). */
function readListenUrl(databaseUrl: string | undefined, directUrl: string | undefined): string | undefined {
  const raw = process.env.DATABASE_LISTEN_URL;
  if (raw === undefined || raw === '') return directUrl;
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new Error('DATABASE_LISTEN_URL must be a postgresql:// URL');
  if (!databaseUrl) throw new Error('DATABASE_LISTEN_URL is set but DATABASE_URL is not (PGlite listens in process)');
  checkSessionAttrs('DATABASE_LISTEN_URL', raw, primaryAttrs);
  return raw;
}

/**
 * DATABASE_READ_URL: the read replicas, comma-separated. A URL may itself be a libpq host list
 * (`postgresql://u@h1,h2/db?target_session_attrs=prefer-standby`), so the URLs are split only at
 * a comma followed by a new scheme (a comma written %2C still works).
 * Replicas are PostgreSQL's: they need DATABASE_URL, the primary they replicate.
 */
function readReplicaUrls(databaseUrl: string | undefined): readonly string[] {
  const urls = (process.env.DATABASE_READ_URL ?? '')
    .split(/,(?=\s*[a-z]+:\/\/)/)
    .map((url) => url.trim())
    .filter(Boolean);
  if (urls.length === 0) return [];
  for (const url of urls) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(`DATABASE_READ_URL must be postgresql:// URLs, comma-separated, got "${url}"`);
    }
  }
  if (!databaseUrl) throw new Error('DATABASE_READ_URL is set but DATABASE_URL is not: replicas need their primary');
  for (const url of urls) {
    checkSessionAttrs('DATABASE_READ_URL', url, [
      'any',
      'prefer-standby',
      'standby',
      'read-only',
      'read-write',
      'primary',
    ]);
  }
  return Object.freeze(urls);
}

/** REQUIRE_SYNCHRONOUS_STANDBY: only PostgreSQL has standbys. */
function readRequireSynchronousStandby(databaseUrl: string | undefined): boolean {
  const required = readBool('REQUIRE_SYNCHRONOUS_STANDBY', false);
  if (required && !databaseUrl) {
    throw new Error('REQUIRE_SYNCHRONOUS_STANDBY needs DATABASE_URL: the embedded PGlite database has no standby');
  }
  return required;
}

function readDataDir(): string {
  const raw = process.env.DATA_DIR || './data';
  return raw.startsWith('memory://') ? raw : path.resolve(raw);
}

function readText(name: string): string | undefined {
  const raw = process.env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** Known roles, weakest first: viewer reads, editor also writes, admin also deletes (src/access/roles.ts). */
export const roles = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof roles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** ANONYMOUS_ROLE: what a request without a token may do; null (`none`) refuses it. */
function readAnonymousRole(production: boolean): Role | null {
  const raw = readText('ANONYMOUS_ROLE');
  if (raw === undefined) return production ? 'viewer' : 'admin';
  if (raw === 'none') return null;
  if (!isRole(raw)) throw new Error(`ANONYMOUS_ROLE must be one of ${roles.join(', ')} or none, got "${raw}"`);
  return raw;
}

/** The one source of keys tokens are checked with: a shared secret (HS256) or a JWKS (RS256, ES256). */
export type JwtKeys =
  | { readonly kind: 'secret'; readonly secret: string }
  | { readonly kind: 'jwks-file'; readonly path: string; readonly jwks: { keys: Record<string, unknown>[] } }
  | { readonly kind: 'jwks-url'; readonly url: URL; readonly cooldownMs: number };

export interface JwtConfig {
  readonly keys: JwtKeys;
  readonly issuer: string | undefined;
  /** Accepted audiences (JWT_AUDIENCE, comma-separated): the token's `aud` must name one. */
  readonly audience: readonly string[] | undefined;
  /** The claim holding the caller's roles, an array of strings. */
  readonly rolesClaim: string;
}

function readJwks(file: string): { keys: Record<string, unknown>[] } {
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`JWT_JWKS_FILE: cannot read a JSON key set from ${file}: ${(error as Error).message}`);
  }
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((key) => key && typeof key === 'object' && 'kty' in key)
  ) {
    throw new Error(`JWT_JWKS_FILE: ${file} is not a JWKS: expected { "keys": [ { "kty": … }, … ] }`);
  }
  return { keys: keys as Record<string, unknown>[] };
}

/** JWT_*: null when no key is configured (then no token can be checked, and none is accepted). */
function readJwt(): JwtConfig | null {
  const secret = readText('JWT_SECRET');
  const file = readText('JWT_JWKS_FILE');
  const url = readText('JWT_JWKS_URL');
  const given = [secret && 'JWT_SECRET', file && 'JWT_JWKS_FILE', url && 'JWT_JWKS_URL'].filter(Boolean);
  if (given.length > 1) {
    throw new Error(`Set one of JWT_SECRET, JWT_JWKS_FILE and JWT_JWKS_URL, not ${given.join(' and ')}`);
  }
  let keys: JwtKeys;
  if (secret !== undefined) {
    // HS256 with a short secret can be brute-forced offline from any token it signed.
    if (Buffer.byteLength(secret) < 32) throw new Error('JWT_SECRET must be at least 32 characters long');
    keys = { kind: 'secret', secret };
  } else if (file !== undefined) {
    const resolved = path.resolve(file);
    keys = { kind: 'jwks-file', path: resolved, jwks: readJwks(resolved) };
  } else if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`JWT_JWKS_URL must be an http(s) URL, got "${url}"`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new Error(`JWT_JWKS_URL must be an http(s) URL, got "${url}"`);
    }
    keys = { kind: 'jwks-url', url: parsed, cooldownMs: readInt('JWT_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000) };
  } else {
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE']) {
      if (readText(name))
        throw new Error(`${name} is set but no key is: set JWT_SECRET, JWT_JWKS_FILE or JWT_JWKS_URL`);
    }
    return null;
  }
  const audience = readText('JWT_AUDIENCE')
    ?.split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  return {
    keys,
    issuer: readText('JWT_ISSUER'),
    audience: audience?.length ? audience : undefined,
    rolesClaim: readText('JWT_ROLES_CLAIM') ?? 'roles',
  };
}

/** Who may do what (src/access/). */
export interface AccessConfig {
  /** The role of a request without a token; null: such requests are refused (401). */
  readonly anonymousRole: Role | null;
  /** How tokens are checked; null: no key, so every token is refused. */
  readonly jwt: JwtConfig | null;
  /**
   * TRUSTED_DOCUMENTS: the path of the manifest of the only documents to run (read by
   * src/access/trusted-documents.ts); null runs any document.
   */
  readonly trustedDocumentsPath: string | null;
}

function readTrustedDocumentsPath(): string | null {
  const file = readText('TRUSTED_DOCUMENTS');
  return file === undefined ? null : path.resolve(file);
}

/** What clients may make the HTTP server hold (src/http/node-server.ts). */
export interface ClientBounds {
  sendTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxPipelined: number;
  maxBufferedBytes: number;
  /** Event-loop delay past which GraphQL requests are refused before parsing; 0: never. */
  maxEventLoopDelayMs: number;
  /** V8 heap in use past which GraphQL requests are refused before parsing; 0: never. */
  maxMemoryBytes: number;
}

export interface Config {
  readonly production: boolean;
  readonly port: number;
  /** PostgreSQL URL; when absent the embedded PGlite database in dataDir is used. */
  readonly databaseUrl: string | undefined;
  /** Where migrations run, on a session of their own (PostgreSQL only; DATABASE_URL by default). */
  readonly directUrl: string | undefined;
  /** Where the one LISTEN connection of the change events goes (PostgreSQL only). */
  readonly listenUrl: string | undefined;
  /** Read replicas of DATABASE_URL (src/db/replica-routing.ts); empty: every read goes to the primary. */
  readonly replicaUrls: readonly string[];
  /** A replica further behind the primary than this is not read from. */
  readonly maxReplicaLagMs: number;
  /** How often each replica's lag and health are checked, in the background. */
  readonly replicaCheckIntervalMs: number;
  /**
   * How often the host in use of a libpq host list (DATABASE_URL with several hosts) is checked to
   * be the primary still; a lost or demoted one is replaced by the host found primary then.
   */
  readonly primaryCheckIntervalMs: number;
  /** Refuse to start against a primary that does not wait for a synchronous standby (PostgreSQL only). */
  readonly requireSynchronousStandby: boolean;
  /** Server processes on this machine sharing the port (node:cluster; PostgreSQL only past 1). */
  readonly webConcurrency: number;
  readonly dataDir: string;
  readonly poolMax: number;
  /**
   * Named prepared statements the loaders keep per PostgreSQL connection (least recently used ones
   * are deallocated); 0 sends every statement unnamed, parsed and planned each time.
   */
  readonly preparedStatements: number;
  /**
   * Whether the query pools' connections run named statements with their generic plan from the
   * first run (plan_cache_mode=force_generic_plan, sent when a connection opens). PostgreSQL
   * otherwise plans a named statement for its values on every run while those plans look cheaper,
   * which for the loaders' small statements costs more than running them. Reads whose best plan
   * depends on a value (planPerValue) carry their values in their text, so no setting reaches them.
   */
  readonly genericPlans: boolean;
  /** How long a request waits for a PostgreSQL connection before it fails. */
  readonly connectTimeoutMs: number;
  /** Most requests waiting for a PostgreSQL connection; past it they are refused at once (503). */
  readonly poolMaxWaiting: number;
  /** Most GraphQL operations in execution at once; past it they wait (src/http/admission.ts). */
  readonly maxOperationsInFlight: number;
  /** Most GraphQL operations of one client in execution at once; past it they wait. */
  readonly maxOperationsPerClient: number;
  /** Most summed cost (complexity) of the operations in execution; past it, they wait. */
  readonly maxCostInFlight: number;
  /** How long an operation may wait to start; one that cannot start within it is refused (503). */
  readonly queueWaitMs: number;
  /** Most cost of an operation that still starts while the process holds too much (memory, unread answers). */
  readonly smallOperationCost: number;
  /** Small reads the server sends itself before it listens (src/graphql/warm-up.ts); 0: none. */
  readonly warmUpRequests: number;
  /** Proxies in front of the server whose X-Forwarded-For is believed (the client's address). */
  readonly trustProxy: number;
  /** What clients may make the HTTP server hold (src/http/node-server.ts). */
  readonly http: ClientBounds;
  /** Longest a statement may run; PostgreSQL cancels it past this. */
  readonly statementTimeoutMs: number;
  /** How long SIGTERM waits for requests in flight before closing their connections. */
  readonly shutdownGraceMs: number;
  readonly logSql: boolean;
  /** Serve GraphiQL at /graphql to browsers (src/http/graphiql.ts). */
  readonly graphiql: boolean;
  readonly cors: CorsConfig;
  readonly introspection: IntrospectionMode;
  readonly compression: CompressionConfig;
  /** Execute operations compiled by graphql-jit instead of graphql-js' interpreter. */
  readonly jit: boolean;
  /** The response cache (src/graphql/response-cache.ts), invalidated by the change log's events. */
  readonly responseCache: {
    readonly enabled: boolean;
    /** Most bytes its answers (and their keys and dependencies) may hold, in all. */
    readonly maxBytes: number;
  };
  /** Apply pending migrations (and seed an empty database) when the server starts. */
  readonly migrateOnStart: boolean;
  readonly access: AccessConfig;
  /** Prometheus metrics (src/ops/metrics.ts). */
  readonly metrics: MetricsConfig;
  /** Least level of the log lines written (src/ops/logger.ts). */
  readonly logLevel: LogLevel;
  /** Subscriptions (src/realtime/). */
  readonly realtime: {
    /** Most events one subscription may have waiting for its client; past it, it is ended. */
    readonly maxQueuedEvents: number;
    /** Most subscriptions open in the process, over both transports. */
    readonly maxSubscriptions: number;
    /** Most subscriptions open on one WebSocket connection. */
    readonly maxSubscriptionsPerConnection: number;
    /** How often a WebSocket connection is pinged; one that has not answered by the next ping is closed. */
    readonly wsKeepAliveMs: number;
    /**
     * How long the change log keeps a transaction (CHANGE_LOG_RETENTION): a subscription may
     * resume (`after:`) from a cursor this recent; older ones are CURSOR_EXPIRED.
     */
    readonly changeLogRetentionMs: number;
  };
  /** One JSON object per line, or a short line for people to read. */
  readonly logFormat: 'json' | 'pretty';
}

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

const production = process.env.NODE_ENV === 'production';

const databaseUrl = readDatabaseUrl();
const directUrl = readDirectUrl(databaseUrl);
const preparedStatements = readInt('PG_PREPARED_STATEMENTS', 100, 0, 10_000);

export const config: Config = Object.freeze({
  production,
  port: readInt('PORT', 4000, 0, 65535),
  databaseUrl,
  replicaUrls: readReplicaUrls(databaseUrl),
  maxReplicaLagMs: readInt('MAX_REPLICA_LAG_MS', 5_000, 0, 86_400_000),
  replicaCheckIntervalMs: readInt('REPLICA_CHECK_INTERVAL_MS', 1_000, 50, 600_000),
  primaryCheckIntervalMs: readInt('PRIMARY_CHECK_INTERVAL_MS', 1_000, 50, 600_000),
  requireSynchronousStandby: readRequireSynchronousStandby(databaseUrl),
  directUrl,
  listenUrl: readListenUrl(databaseUrl, directUrl),
  webConcurrency: readInt('WEB_CONCURRENCY', 1, 1, 256),
  dataDir: readDataDir(),
  poolMax: readInt('PG_POOL_MAX', 10, 1, 1000),
  preparedStatements,
  // Off by default behind a pooler (DATABASE_DIRECT_URL set apart from DATABASE_URL): a session's
  // setting made through PgBouncer in transaction mode stays on whichever server connection took
  // it. Without named statements there is no plan to keep.
  genericPlans: readBool('PG_GENERIC_PLANS', directUrl === databaseUrl) && preparedStatements > 0,
  connectTimeoutMs: readInt('PG_CONNECT_TIMEOUT_MS', 2_000, 100, 600_000),
  poolMaxWaiting: readInt('PG_POOL_MAX_WAITING', 100, 0, 100_000),
  maxOperationsInFlight: readInt('MAX_OPERATIONS_IN_FLIGHT', 64, 1, 100_000),
  maxOperationsPerClient: readInt('MAX_OPERATIONS_PER_CLIENT', 32, 1, 100_000),
  maxCostInFlight: readInt('MAX_COST_IN_FLIGHT', 200_000, 1, 1_000_000_000),
  // MAX_COST_WAIT_MS was its name when only the cost made operations wait.
  queueWaitMs: readInt('MAX_QUEUE_WAIT_MS', readInt('MAX_COST_WAIT_MS', 2_000, 0, 600_000), 0, 600_000),
  smallOperationCost: readInt('SMALL_OPERATION_COST', 1_000, 0, 1_000_000_000),
  // Off unless set: with 300, the hostile run's non-reading clients starved every polite request
  // on Node 24 (0 of 94 answered, refused for memory), against 62 of 100 without (docs/limits.md).
  warmUpRequests: readInt('WARM_UP_REQUESTS', 0, 0, 100_000),
  trustProxy: readInt('TRUST_PROXY', 0, 0, 100),
  http: {
    sendTimeoutMs: readInt('HTTP_SEND_TIMEOUT_MS', 30_000, 100, 3_600_000),
    headersTimeoutMs: readInt('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000),
    requestTimeoutMs: readInt('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    keepAliveTimeoutMs: readInt('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 0, 3_600_000),
    maxConnections: readInt('MAX_CONNECTIONS', 1024, 1, 1_000_000),
    maxPipelined: readInt('MAX_PIPELINED', 2, 1, 1000),
    maxBufferedBytes: readInt('MAX_BUFFERED_BYTES', 128_000_000, 0, 100_000_000_000),
    maxEventLoopDelayMs: readInt('MAX_EVENT_LOOP_DELAY_MS', 1_000, 0, 600_000),
    maxMemoryBytes: readInt('MAX_MEMORY_MB', 384, 0, 1_000_000) * 1_000_000,
  },
  statementTimeoutMs: readInt('PG_STATEMENT_TIMEOUT_MS', 10_000, 100, 3_600_000),
  shutdownGraceMs: readInt('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
  logSql: readBool('LOG_SQL', false),
  graphiql: readBool('GRAPHIQL', !production),
  cors: readCors(production),
  introspection: readIntrospection(production),
  compression: Object.freeze({
    enabled: readBool('COMPRESSION', true),
    thresholdBytes: readInt('COMPRESSION_THRESHOLD_BYTES', 1024, 0, 100_000_000),
  }),
  jit: readBool('GRAPHQL_JIT', true),
  responseCache: Object.freeze({
    enabled: readBool('RESPONSE_CACHE', false),
    maxBytes: readInt('RESPONSE_CACHE_MAX_MB', 64, 1, 1_000_000) * 1024 * 1024,
  }),
  migrateOnStart: readBool('MIGRATE_ON_START', true),
  access: Object.freeze({
    anonymousRole: readAnonymousRole(production),
    jwt: readJwt(),
    trustedDocumentsPath: readTrustedDocumentsPath(),
  }),
  metrics: readMetrics(production),
  realtime: Object.freeze({
    maxQueuedEvents: readInt('MAX_QUEUED_EVENTS', 5_000, 1, 10_000_000),
    maxSubscriptions: readInt('MAX_SUBSCRIPTIONS', 10_000, 1, 10_000_000),
    maxSubscriptionsPerConnection: readInt('MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, 1, 100_000),
    wsKeepAliveMs: readInt('WS_KEEP_ALIVE_MS', 12_000, 100, 3_600_000),
    changeLogRetentionMs: readDuration('CHANGE_LOG_RETENTION', '24h', 1_000),
  }),
  // Tests send thousands of requests in process: a line each would bury what they print.
  logLevel: readChoice('LOG_LEVEL', logLevels, process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  logFormat: readChoice(
    'LOG_FORMAT',
    ['json', 'pretty'] as const,
    process.env.NODE_ENV === 'production' ? 'json' : 'pretty',
  ),
});

export const pageSizes = Object.freeze({
  /** Page size of a connection asked for with neither `first` nor `last`. */
  default: readInt('DEFAULT_PAGE_SIZE', 20, 1, 10_000),
  /** Largest `first` or `last` a connection accepts. */
  max: readInt('MAX_PAGE_SIZE', 100, 1, 10_000),
});

/**
 * Most entries in one list of a bulk mutation (addHeroesToTeam, removeHeroesFromTeam,
 * setTeamHeroes): each list is written by one statement per kind of write, inside a transaction
 * that locks every listed hero, so its length bounds how long other writers to those rows wait.
 */
export const maxBulk = readInt('MAX_BULK', 1000, 1, 100_000);

/** Limits every operation must respect before it runs (see src/graphql/limits.ts). */
export const limits = Object.freeze({
  depth: readInt('MAX_DEPTH', 12, 1, 100),
  aliases: readInt('MAX_ALIASES', 15, 0, 1000),
  directives: readInt('MAX_DIRECTIVES', 10, 0, 1000),
  tokens: readInt('MAX_TOKENS', 1000, 10, 100_000),
  complexity: readInt('MAX_COMPLEXITY', 50_000, 1, 100_000_000),
  /** Longest list of ids in one argument: nodes(ids:) and the filters' ids. */
  ids: readInt('MAX_IDS', 500, 1, 100_000),
  bodyBytes: readInt('MAX_BODY_BYTES', 100_000, 1_000, 100_000_000),
  /** Largest answer in bytes; a bigger one is replaced by MAX_RESPONSE_BYTES_EXCEEDED. */
  responseBytes: readInt('MAX_RESPONSE_BYTES', 10_000_000, 1_000, 10_000_000_000),
  fieldSuggestions: readBool('FIELD_SUGGESTIONS', !config.production),
});
