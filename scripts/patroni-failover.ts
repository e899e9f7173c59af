import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../test/support/ports';
import { startServer } from '../test/support/server-process';

// The failover of test/failover.test.ts with Patroni doing the promotion (docs/scaling.md,
// "Patroni and etcd"): one etcd and two Patroni nodes (Debian's patroni 3.0 and etcd-server 3.4)
// on this machine, in a temporary folder, as the `postgres` user; synchronous_mode on. A server
// process is given the host list of both nodes and writes are kept running; the leader's Patroni
// and its postmaster are SIGKILLed (a machine lost), and Patroni promotes the synchronous replica
// once the leader key expires (ttl). Prints the time from the kill to the promotion, from the
// promotion to the first acknowledged write, and the acknowledged writes missing on the new
// primary. Run as root or postgres: `npx tsx scripts/patroni-failover.ts`. About a minute.

const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
const asRoot = process.getuid!() === 0;
const folder = mkdtempSync(path.join(tmpdir(), 'heroes-patroni-'));
if (asRoot) {
  chownSync(
    folder,
    Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  );
}
const children: ChildProcess[] = [];

function asPostgres(command: string, args: string[], log: string): ChildProcess {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const child = spawn(file, argv, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    writeFileSync(path.join(folder, log), output);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.push(child);
  return child;
}

async function until<T>(what: string, seconds: number, get: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await get().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what} (logs in ${folder})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function query<Row>(port: number, sql: string): Promise<Row[]> {
  const client = new Client({
    connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    connectionTimeoutMillis: 1000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Node {
  name: string;
  port: number;
  rest: number;
  patroni?: ChildProcess;
}

async function main(): Promise<void> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  asPostgres(
    '/usr/bin/etcd',
    [
      '--name=e1',
      `--data-dir=${folder}/etcd`,
      `--listen-client-urls=http://127.0.0.1:${clientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=e1=http://127.0.0.1:${peerPort}`,
    ],
    'etcd.log',
  );
  const nodes: Node[] = [];
  for (const name of ['node1', 'node2']) nodes.push({ name, port: await freePort(), rest: await freePort() });
  const startPatroni = (node: Node) => {
    const file = path.join(folder, `${node.name}.yml`);
    // JSON is YAML: no YAML writer needed.
    writeFileSync(
      file,
      JSON.stringify({
        scope: 'heroes',
        namespace: '/heroes-failover/',
        name: node.name,
        restapi: { listen: `127.0.0.1:${node.rest}`, connect_address: `127.0.0.1:${node.rest}` },
        etcd3: { hosts: `127.0.0.1:${clientPort}` },
        bootstrap: {
          dcs: {
            // Patroni's smallest: a lost leader is replaced within ttl (its key expires).
            ttl: 20,
            loop_wait: 1,
            retry_timeout: 5,
            maximum_lag_on_failover: 1048576,
            // Commits wait for the synchronous replica, and only it is promoted: no acknowledged write lost.
            synchronous_mode: true,
            postgresql: {
              use_pg_rewind: false,
              parameters: { wal_level: 'replica', hot_standby: 'on', max_wal_senders: 5, fsync: 'off' },
            },
          },
          initdb: [{ encoding: 'UTF8' }, { auth: 'trust' }],
          pg_hba: ['host replication postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 trust'],
        },
        postgresql: {
          listen: `127.0.0.1:${node.port}`,
          connect_address: `127.0.0.1:${node.port}`,
          data_dir: path.join(folder, node.name),
          bin_dir: bindir,
          pgpass: path.join(folder, `${node.name}.pgpass`),
          authentication: { replication: { username: 'postgres' }, superuser: { username: 'postgres' } },
          parameters: { unix_socket_directories: folder },
        },
      }),
    );
    if (asRoot) chownSync(file, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), 0);
    node.patroni = asPostgres('/usr/bin/patroni', [file], `${node.name}.log`);
  };
  const role = async (node: Node) =>
    (await query<{ standby: boolean }>(node.port, 'SELECT pg_is_in_recovery() AS standby'))[0]!.standby
      ? 'standby'
      : 'primary';

  const started = performance.now();
  startPatroni(nodes[0]!);
  await until('node1 the leader', 60, async () => ((await role(nodes[0]!)) === 'primary' ? true : undefined));
  startPatroni(nodes[1]!);
  await until('node2 the synchronous standby', 90, async () => {
    const rows = await query<{ state: string }>(nodes[0]!.port, 'SELECT sync_state AS state FROM pg_stat_replication');
    return rows.some((row) => row.state === 'sync') ? true : undefined;
  });
  console.log(`Patroni cluster up in ${Math.round(performance.now() - started)} ms: node1 leader, node2 synchronous`);

  const hosts = `postgresql://postgres@127.0.0.1:${nodes[1]!.port},127.0.0.1:${nodes[0]!.port}/postgres?target_session_attrs=read-write`;
  const server = await startServer({
    DATABASE_URL: hosts,
    DATABASE_DIRECT_URL: '',
    DATABASE_LISTEN_URL: '',
    DATABASE_READ_URL: '',
    PRIMARY_CHECK_INTERVAL_MS: '200',
    REQUIRE_SYNCHRONOUS_STANDBY: 'true',
    MIGRATE_ON_START: 'true',
    PG_CONNECT_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'warn',
  });
  try {
    const attempts: { name: string; at: number; ok: boolean; code?: string; status: number }[] = [];
    let stopped = false;
    let sequence = 0;
    const writers = Array.from({ length: 3 }, async () => {
      while (!stopped) {
        const name = `Patroni ${sequence++}`;
        let status = 0;
        let ok = false;
        let code: string | undefined;
        try {
          const response = await fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({
              query:
                'mutation ($name: String!) { createTeam(input: { name: $name, headquarters: "Patroni" }) { team { name } } }',
              variables: { name },
            }),
          });
          status = response.status;
          const body = (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
          ok = status === 200 && body.data?.createTeam?.team?.name === name;
          code = body.errors?.[0]?.extensions?.code;
        } catch {
          // status 0: the request was dropped.
        }
        attempts.push({ name, at: performance.now(), ok, code, status });
        if (!ok) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    await until('10 writes acknowledged', 30, async () =>
      attempts.filter((a) => a.ok).length >= 10 ? true : undefined,
    );

    // The leader's machine lost: its Patroni and its postmaster SIGKILLed (Patroni's children end with it).
    const killedAt = performance.now();
    process.kill(-nodes[0]!.patroni!.pid!, 'SIGKILL');
    const pid = Number(
      execFileSync('head', ['-1', path.join(folder, 'node1', 'postmaster.pid'), '-q'], { encoding: 'utf8' }),
    );
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone with its Patroni already
    }
    const promotedAt = await until('node2 promoted by Patroni', 90, async () =>
      (await role(nodes[1]!)) === 'primary' ? performance.now() : undefined,
    );
    const first = await until('a write acknowledged by node2', 30, async () =>
      attempts.find((a) => a.ok && a.at > promotedAt),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stopped = true;
    await Promise.all(writers);

    const acknowledged = attempts.filter((a) => a.ok).map((a) => a.name);
    const stored = new Set(
      (await query<{ name: string }>(nodes[1]!.port, `SELECT "name" FROM "Team" WHERE "name" LIKE 'Patroni %'`)).map(
        (r) => r.name,
      ),
    );
    const lost = acknowledged.filter((name) => !stored.has(name));
    const codes: Record<string, number> = {};
    for (const a of attempts.filter((a) => !a.ok))
      codes[a.code ?? `HTTP ${a.status}`] = (codes[a.code ?? `HTTP ${a.status}`] ?? 0) + 1;
    console.log(
      `Kill to promotion (Patroni, ttl 20 s): ${Math.round(promotedAt - killedAt)} ms; promotion to first acknowledged write: ` +
        `${Math.round(first.at - promotedAt)} ms; ${acknowledged.length} writes acknowledged, ${lost.length} lost; failures ${JSON.stringify(codes)}`,
    );
    if (
      lost.length > 0 ||
      Object.keys(codes).some((code) => !['DATABASE_UNAVAILABLE', 'MUTATION_OUTCOME_UNKNOWN'].includes(code))
    ) {
      process.exitCode = 1;
    }
  } finally {
    server.child.kill('SIGKILL');
  }
}

async function cleanUp(): Promise<void> {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // The postmasters Patroni started are in their Patroni's process group; a promoted one is stopped here.
  for (const node of ['node1', 'node2']) {
    try {
      const [file, argv] = asRoot
        ? [
            'runuser',
            [
              '-u',
              'postgres',
              '--',
              path.join(bindir, 'pg_ctl'),
              '-D',
              path.join(folder, node),
              '-m',
              'immediate',
              'stop',
            ],
          ]
        : [path.join(bindir, 'pg_ctl'), ['-D', path.join(folder, node), '-m', 'immediate', 'stop']];
      execFileSync(file, argv as string[], { stdio: 'ignore', cwd: folder });
    } catch {
      // not running
    }
  }
  if (!process.env.KEEP_PATRONI_FOLDER) rmSync(folder, { recursive: true, force: true });
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => void cleanUp().then(() => process.exit()));
