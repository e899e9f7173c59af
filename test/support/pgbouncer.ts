import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';

// A PgBouncer of the test's own (PGBOUNCER, the path of its binary, or the pgbouncer on the PATH:
// Debian's package), in transaction pooling mode, in front of the PostgreSQL of TEST_DATABASE_URL:
// its configuration in a temporary folder, on a free port, stopped by its own pid. PgBouncer
// refuses to run as root: as root, it runs as `postgres`. .ci/run builds PgBouncer 1.24 (Debian 12
// ships 1.18, older than the named prepared statements of 1.21) and sets PGBOUNCER.

const binary = process.env.PGBOUNCER || 'pgbouncer';

/** `[major, minor]` of the pgbouncer used (PGBOUNCER or the PATH's), or null when there is none. */
export function pgbouncerVersion(): [number, number] | null {
  let text: string;
  try {
    text = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  } catch {
    return null;
  }
  const match = /PgBouncer (\d+)\.(\d+)/.exec(text);
  if (!match) throw new Error(`Cannot read the version of pgbouncer from: ${text}`);
  return [Number(match[1]), Number(match[2])];
}

/** PgBouncer 1.21 and later keep protocol-level named prepared statements in transaction mode. */
export function keepsPreparedStatements(version: [number, number]): boolean {
  return version[0] > 1 || version[1] >= 21;
}

export interface PgBouncer {
  /** `databaseUrl` (a URL of the PostgreSQL behind it) through PgBouncer instead. */
  url(databaseUrl: string): string;
  readonly pid: number;
  /** What PgBouncer has logged. */
  log(): string;
  /** The PostgreSQL backend pids of PgBouncer's server connections (its console's SHOW SERVERS). */
  serverPids(): Promise<number[]>;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per database and user (default_pool_size). */
  poolSize: number;
  /** max_prepared_statements (PgBouncer 1.21 and later); unset, the line is left out. */
  maxPreparedStatements?: number;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  if (!pgbouncerVersion()) {
    throw new Error(`No pgbouncer at ${binary}: \`apt-get install -y pgbouncer\`, or PGBOUNCER (.ci/run builds one)`);
  }
  const upstream = new URL(process.env.TEST_DATABASE_URL!);
  const user = decodeURIComponent(upstream.username || 'postgres');
  const dir = mkdtempSync(path.join(tmpdir(), 'heroes-pgbouncer-'));
  const port = await freePort();
  const file = (name: string) => path.join(dir, name);
  writeFileSync(file('userlist.txt'), `"${user}" ""\n`);
  writeFileSync(
    file('pgbouncer.ini'),
    [
      '[databases]',
      // Any database name, to the same server: each test file works on a database of its own.
      `* = host=${upstream.hostname} port=${upstream.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${file('userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      'max_client_conn = 500',
      `admin_users = ${user}`,
      // pg sends the server's PG_STATEMENT_TIMEOUT_MS as a startup parameter, which PgBouncer
      // cannot keep per client in transaction mode (docs/scaling.md, "PgBouncer").
      'ignore_startup_parameters = statement_timeout',
      ...(options.maxPreparedStatements === undefined
        ? []
        : [`max_prepared_statements = ${options.maxPreparedStatements}`]),
      `logfile = ${file('pgbouncer.log')}`,
      `pidfile = ${file('pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const name of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(file(name), uid, gid);
  }
  const [command, ...args] = asRoot
    ? ['runuser', '-u', 'postgres', '--', binary, file('pgbouncer.ini')]
    : [binary, file('pgbouncer.ini')];
  const child: ChildProcess = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => output + (existsSync(file('pgbouncer.log')) ? readFileSync(file('pgbouncer.log'), 'utf8') : '');

  const deadline = Date.now() + 20_000;
  let pid = 0;
  while (!pid || !(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}:\n${log()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pgbouncer did not listen on ${port} in 20 s:\n${log()}`);
    }
    if (existsSync(file('pgbouncer.pid'))) pid = Number(readFileSync(file('pgbouncer.pid'), 'utf8').trim());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    pid,
    url(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    log,
    async serverPids() {
      const console = new Client({ host: '127.0.0.1', port, user, database: 'pgbouncer' });
      await console.connect();
      try {
        const { rows } = await console.query<{ remote_pid: string }>('SHOW SERVERS');
        return rows.map((row) => Number(row.remote_pid));
      } finally {
        await console.end();
      }
    },
    async stop() {
      // PgBouncer's own pid (runuser stands between it and us): SIGTERM shuts it down at once.
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone already
      }
      const timer = setTimeout(() => {
        for (const target of [pid, child.pid!]) {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            // gone already
          }
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
