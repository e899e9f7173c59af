import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './ports';

// A private PostgreSQL primary and a streaming hot standby of it, in a temporary folder, on free
// ports: the server binaries that `pg_config --bindir` names (Debian's postgresql package), run
// as the `postgres` OS user (PostgreSQL refuses to run as root). The machine's own PostgreSQL is
// not touched. Every statement either server runs is in its log (log_statement = all), which is
// how tests see where a read went.

const run = promisify(execFile);

const missing = (what: string) =>
  new Error(
    `Replication tests need ${what}: PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup, in the folder ` +
      '`pg_config --bindir` names; Debian: apt-get install postgresql) and a `postgres` OS user to run them, ' +
      'with this process running as root or as postgres.',
  );

/** The binaries' folder, and how to run a command as the `postgres` user from here. */
function serverTools(): { bindir: string; asPostgres: (command: string, args: string[]) => [string, string[]] } {
  let bindir: string;
  try {
    bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    execFileSync(path.join(bindir, 'pg_basebackup'), ['--version']);
  } catch {
    throw missing('pg_config and the server binaries');
  }
  let uid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw missing('a `postgres` OS user');
  }
  const self = process.getuid!();
  if (self === uid) return { bindir, asPostgres: (command, args) => [command, args] };
  if (self !== 0) throw missing('the right to run commands as `postgres`');
  return { bindir, asPostgres: (command, args) => ['runuser', ['-u', 'postgres', '--', command, ...args]] };
}

export interface PostgresServer {
  readonly port: number;
  /** postgresql://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  readonly url: string;
  /** Everything the server has logged so far: with log_statement = all, every statement. */
  log(): string;
  /** Runs one statement on a connection of its own. */
  query<Row = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<Row[]>;
  /** Stops the server at once (pg_ctl stop -m immediate), as a crash or a pulled cable would. */
  stop(): Promise<void>;
  /**
   * Begins a smart shutdown without waiting for it (pg_ctl stop -m smart -W): the sessions open go
   * on, new connections are refused (SQLSTATE 57P03) until the last session ends and it stops.
   */
  beginShutdown(): Promise<void>;
  start(): Promise<void>;
  /**
   * SIGKILLs the postmaster, as a crashed machine would leave it (no shutdown checkpoint, no
   * goodbye to clients or standbys), and resolves once it is gone; its backends end by themselves.
   */
  kill(): Promise<void>;
  /** Promotes a standby (pg_ctl promote -w, as Patroni does) and resolves once it takes writes. */
  promote(): Promise<void>;
}

export interface ReplicationOptions {
  /**
   * Makes the standby synchronous: the primary's synchronous_standby_names = '*' (set after the
   * base backup, so the standby, once promoted, waits for no standby of its own), and commits
   * are acknowledged once the standby has flushed them (synchronous_commit's default, on).
   */
  synchronous?: boolean;
}

export interface Replication {
  primary: PostgresServer;
  standby: PostgresServer;
  /** Resolves once the standby has replayed everything the primary had written when it was called. */
  caughtUp(): Promise<void>;
  /** Stops replay on the standby (pg_wal_replay_pause) and resolves once it has stopped. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Stops both servers and removes their folder; safe to call whatever state they are in. */
  destroy(): Promise<void>;
}

/** Starts a primary (wal_level = replica) and a hot standby streaming from it (pg_basebackup -R). */
export async function startReplication(options: ReplicationOptions = {}): Promise<Replication> {
  const { bindir, asPostgres } = serverTools();
  const exec = (command: string, args: string[]) => {
    const [file, argv] = asPostgres(path.join(bindir, command), args);
    // From the folder: postgres cannot read the worktree it would otherwise start in.
    return run(file, argv, { cwd: folder, encoding: 'utf8' });
  };
  const folder = mkdtempSync(path.join(tmpdir(), 'heroes-replication-'));
  const postgresUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const postgresGid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(folder, postgresUid, postgresGid);
  const servers: { dir: string; logFile: string }[] = [];

  const node = (name: string, port: number): PostgresServer & { dir: string; logFile: string } => {
    const dir = path.join(folder, name);
    const logFile = path.join(folder, `${name}.log`);
    servers.push({ dir, logFile });
    const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    return {
      dir,
      logFile,
      port,
      url,
      log: () => {
        try {
          return readFileSync(logFile, 'utf8');
        } catch {
          return '';
        }
      },
      async query<Row>(sql: string, values: unknown[] = []) {
        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          return (await client.query(sql, values)).rows as Row[];
        } finally {
          await client.end();
        }
      },
      stop: async () => void (await exec('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop'])),
      beginShutdown: async () => void (await exec('pg_ctl', ['-D', dir, '-m', 'smart', '-W', 'stop'])),
      start: async () => void (await exec('pg_ctl', ['-D', dir, '-l', logFile, '-w', '-t', '60', 'start'])),
      kill: async () => {
        const pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.kill(pid, 'SIGKILL');
        const alive = () => {
          try {
            process.kill(pid, 0);
            return true;
          } catch {
            return false;
          }
        };
        const deadline = Date.now() + 10_000;
        while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      },
      promote: async () => void (await exec('pg_ctl', ['-D', dir, '-w', '-t', '60', 'promote'])),
    };
  };

  const destroy = async () => {
    for (const { dir } of servers) {
      await exec('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    }
    rmSync(folder, { recursive: true, force: true });
  };

  try {
    const [primaryPort, standbyPort] = [await freePort(), await freePort()];
    const primary = node('primary', primaryPort);
    const standby = node('standby', standbyPort);
    await exec('initdb', ['-D', primary.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const settings = (port: number) =>
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${folder}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'hot_standby = on',
        'fsync = off',
        'full_page_writes = off',
        `log_statement = 'all'`,
        `log_line_prefix = '%m [%p] '`,
        'max_connections = 50',
        'shared_buffers = 16MB',
        '',
      ].join('\n');
    appendFileSync(path.join(primary.dir, 'postgresql.conf'), settings(primaryPort));
    await primary.start();
    await exec('pg_basebackup', [
      '-h',
      folder,
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      standby.dir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    // The copy has the primary's settings; later lines win.
    appendFileSync(path.join(standby.dir, 'postgresql.conf'), settings(standbyPort));
    await standby.start();

    const lsnOf = async (server: PostgresServer, sql: string) =>
      (await server.query<{ lsn: string | null }>(`SELECT (${sql})::text AS lsn`))[0]!.lsn;
    const until = async (what: string, done: () => Promise<boolean>) => {
      const deadline = Date.now() + 30_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`The standby did not get there within 30 s: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const replication: Replication = {
      primary,
      standby,
      async caughtUp() {
        const target = await lsnOf(primary, 'pg_current_wal_lsn()');
        await until(`replay past ${target}`, async () => {
          const [row] = await standby.query<{ behind: boolean }>(
            'SELECT pg_last_wal_replay_lsn() < $1::pg_lsn AS behind',
            [target],
          );
          return row?.behind === false;
        });
      },
      async pauseReplay() {
        await standby.query('SELECT pg_wal_replay_pause()');
        await until('replay paused', async () => {
          const [row] = await standby.query<{ state: string }>('SELECT pg_get_wal_replay_pause_state() AS state');
          return row?.state === 'paused';
        });
      },
      async resumeReplay() {
        await standby.query('SELECT pg_wal_replay_resume()');
      },
      destroy,
    };
    await replication.caughtUp();
    if (options.synchronous) {
      await primary.query("ALTER SYSTEM SET synchronous_standby_names = '*'");
      await primary.query('SELECT pg_reload_conf()');
      await until('the standby synchronous', async () => {
        const rows = await primary.query<{ state: string }>('SELECT sync_state AS state FROM pg_stat_replication');
        return rows.some((row) => row.state === 'sync');
      });
    }
    return replication;
  } catch (error) {
    await destroy();
    throw error;
  }
}
