import { Client } from 'pg';
import type { ServerProcess } from '../test/support/server-process';
import { databaseUrl } from './dataset-names';

// A PostgreSQL database of a bench script's own (bench/write-overhead.ts, bench/cache.ts): created
// on the server of `serverUrl`, migrated by the first server the script starts on it, and dropped
// when the script ends, also after an error or Ctrl-C, once its servers (SIGTERM, SIGKILL after
// 15 s) and its clients are stopped. No server outlives the script.

/** The `--database-url` option of a script with a scratch database (node:util's parseArgs), and its help lines. */
export const databaseUrlOption = {
  'database-url': {
    type: 'string',
    default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  },
} as const;
export const databaseUrlHelp = `  --database-url URL    a PostgreSQL server on which to create the scratch database (default
                        BENCH_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres)`;

export class ScratchDatabase {
  readonly name: string;
  /** The database's URL, for the servers and the script's own clients. */
  readonly url: string;
  private readonly admin: string;
  private readonly servers: ServerProcess[] = [];
  private readonly clients: Client[] = [];
  private created = false;
  private cleaning: Promise<void> | undefined;

  constructor(serverUrl: string, prefix: string) {
    this.name = `${prefix}_${process.pid}`;
    this.admin = databaseUrl(serverUrl, 'postgres');
    this.url = databaseUrl(serverUrl, this.name);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.log(`\n${signal}: stopping the servers and dropping ${this.name}`);
        void this.drop().finally(() => process.exit(130));
      });
    }
    process.once('exit', () => this.servers.forEach((server) => server.child.kill('SIGKILL')));
  }

  async create(): Promise<void> {
    const setup = new Client({ connectionString: this.admin });
    await setup.connect();
    try {
      await setup.query(`CREATE DATABASE "${this.name}"`);
      this.created = true;
    } finally {
      await setup.end();
    }
  }

  /** A server on this database, stopped before it is dropped. */
  track(server: ServerProcess): ServerProcess {
    this.servers.push(server);
    return server;
  }

  /** A client of this database, connected, ended before it is dropped. */
  async connect(): Promise<Client> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    this.clients.push(client);
    return client;
  }

  /** Stops the servers and clients, then drops the database (once, whoever asks). */
  drop(): Promise<void> {
    this.cleaning ??= (async () => {
      await Promise.all(this.clients.map((client) => client.end().catch(() => {})));
      await Promise.all(
        this.servers.map(async (server) => {
          if (server.child.exitCode !== null || server.child.signalCode !== null) return;
          server.child.kill('SIGTERM');
          const killer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
          await server.exited;
          clearTimeout(killer);
        }),
      );
      if (!this.created) return;
      const setup = new Client({ connectionString: this.admin });
      try {
        await setup.connect();
        await setup.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
        console.log(`dropped database ${this.name}`);
      } catch (error) {
        console.error(`could not drop database ${this.name}:`, error instanceof Error ? error.message : error);
      } finally {
        await setup.end().catch(() => {});
      }
    })();
    return this.cleaning;
  }
}
