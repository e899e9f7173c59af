import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { databaseFailure } from '../src/db/failures';
import { openPGlite, pgliteAdapterFactory } from '../src/db/pglite';
import { watchWrites } from '../src/db/write-outcome';
import { type Answer, hsToken, post, secret } from './support/access';
import { type ServerProcess, startServer } from './support/server-process';

// The embedded database (PGlite) has no connection to lose, but its data folder can fill up or
// vanish under it, and its PostgreSQL can PANIC (a checkpoint or a WAL file on a full disk).
// Disk full is a real one: a tmpfs of 48 to 72 MB (a new data folder takes about 39), mounted for the test (root only; in CI,
// REQUIRE_TMPFS=1 makes a refused mount fail the test instead of skipping it). Run once, on the
// PGlite project (see jest.config.js).

let editor: string;

beforeAll(async () => {
  editor = await hsToken(['editor']);
});

const ask = (server: ServerProcess, query: string) => post(server, { query }, `Bearer ${editor}`);

const errorOf = (answer: Answer) =>
  answer.body.errors?.[0] as { message: string; extensions?: { code?: string; safeToRetry?: boolean } } | undefined;

const createHero = (name: string) =>
  `mutation { createHero(input: { name: "${name}", secretName: "${'s'.repeat(150)}", teams: [{ teamId: "VGVhbTox" }] }) { hero { id } } }`;

const countNamed = async (server: ServerProcess, text: string) => {
  const answer = await ask(server, `{ heroes(where: { nameContains: "${text}" }) { totalCount } }`);
  return (answer.body.data as { heroes: { totalCount: number } }).heroes.totalCount;
};

/** A server on the embedded database in `dataDir`, in production mode. */
const embeddedServer = (dataDir: string) =>
  startServer({ DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET: secret, DATABASE_URL: '' });

/** Mounts a tmpfs of `megabytes` on a new folder; null (and why) where this process may not. */
function mountTmpfs(megabytes: number): { dir: string; unmount(): void } | { refused: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'heroes-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const said = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    return { refused: `mount -t tmpfs failed (${said}): it needs root or CAP_SYS_ADMIN` };
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the file system of `dir` to the last byte, with a file the caller removes to free it. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  try {
    for (const size of [1 << 20, 1 << 14, 1 << 10, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

/** Runs `test` on a fresh tmpfs; skipped, saying why, where tmpfs cannot be mounted (unless REQUIRE_TMPFS). */
function withTmpfs(name: string, megabytes: number, test: (dir: string) => Promise<void>, timeout: number): void {
  it(
    name,
    async () => {
      const mounted = mountTmpfs(megabytes);
      if ('refused' in mounted) {
        if (process.env.REQUIRE_TMPFS) throw new Error(mounted.refused);
        console.warn(`Skipped "${name}": ${mounted.refused}`);
        return;
      }
      try {
        await test(mounted.dir);
      } finally {
        mounted.unmount();
      }
    },
    timeout,
  );
}

withTmpfs(
  'a full disk: writes answer 503 DATABASE_UNAVAILABLE and change nothing, reads go on, and writes resume once there is room',
  72,
  async (dir) => {
    const server = await embeddedServer(path.join(dir, 'data'));
    try {
      expect((await ask(server, createHero('Before the disk filled'))).status).toBe(200);
      const filler = fill(dir);

      // Rows go into pages with room left until one needs a new page, which the disk refuses.
      let refused: Answer | undefined;
      let made = 0;
      for (let i = 0; i < 500 && !refused; i++) {
        const answer = await ask(server, createHero(`Full ${i}`));
        if (answer.status === 200) made++;
        else refused = answer;
      }
      expect(refused).toBeDefined();
      expect(refused!.status).toBe(503);
      expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(errorOf(refused!)).toMatchObject({ extensions: { code: 'DATABASE_UNAVAILABLE', safeToRetry: true } });
      expect(JSON.stringify(refused!.body)).not.toMatch(/space|disk|base\/|Unexpected/);
      expect(server.output()).toContain('storage: 53100 could not extend file');

      // What was acknowledged is there, what was refused is not, and reads are answered.
      expect(await countNamed(server, 'Full ')).toBe(made);
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);

      rmSync(filler);
      expect((await ask(server, createHero('After the room came back'))).status).toBe(200);
      expect(server.output()).not.toMatch(/Unexpected error/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  },
  120_000,
);

withTmpfs(
  'after a PANIC (a checkpoint on a full disk) the embedded database refuses every statement at once instead of answering wrong or never',
  48,
  async (dir) => {
    const pglite = openPGlite(path.join(dir, 'data'));
    try {
      const adapter = await watchWrites(pgliteAdapterFactory(pglite), {
        embedded: { dataDir: path.join(dir, 'data') },
      }).connect();
      const sql = (text: string) => ({ sql: text, args: [], argTypes: [] });
      await adapter.executeRaw(sql('CREATE TABLE t (x text)'));
      fill(dir);
      const full = await adapter
        .executeRaw(sql("INSERT INTO t SELECT repeat('x', 150) FROM generate_series(1, 20000)"))
        .catch((error: unknown) => error);
      expect(databaseFailure(full)).toBe('storage');
      const panic = await adapter.executeRaw(sql('CHECKPOINT')).catch((error: unknown) => error);
      expect(JSON.stringify(panic)).toContain('PANIC');

      // Unguarded, PGlite 0.5 answered this with no rows at all, or not at all.
      const started = Date.now();
      const after = await Promise.race([
        adapter.queryRaw(sql('SELECT 1 AS one')).then(
          (result) => ({ answered: result }),
          (error: unknown) => ({ failed: error }),
        ),
        new Promise((resolve) => setTimeout(() => resolve('no answer within 5 s'), 5_000)),
      ]);
      expect(after).toHaveProperty('failed');
      expect(databaseFailure((after as { failed: unknown }).failed)).toBe('stopped');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await pglite.close().catch(() => undefined);
    }
  },
  60_000,
);

it('a data folder removed under the server: from then on every request that needs it is 503 DATABASE_UNAVAILABLE, none acknowledged into the void', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heroes-gone-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const server = await embeddedServer(dataDir);
  try {
    expect((await ask(server, createHero('Before the folder went'))).status).toBe(200);
    // The server may be writing a file into it at that moment (a flush, a checkpoint): a file
    // that appears while the folder is emptied fails rmdir with ENOTEMPTY, so remove again.
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    // PostgreSQL would go on writing into the files it holds open, which no restart would find.
    const write = await ask(server, createHero('After the folder went'));
    expect(write.status).toBe(503);
    expect(errorOf(write)).toMatchObject({ extensions: { code: 'DATABASE_UNAVAILABLE', safeToRetry: true } });
    const read = await ask(server, '{ heroes(first: 5) { totalCount edges { node { name } } } }');
    expect(read.status).toBe(503);
    expect(errorOf(read)?.extensions?.code).toBe('DATABASE_UNAVAILABLE');
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    expect(server.output()).toContain(`The embedded database stopped (its data folder is gone: ${dataDir})`);
    // The lock's own check (every 5 s) finds the folder gone too, and leaves the process up.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(server.child.exitCode).toBeNull();
    expect((await ask(server, '{ heroes(first: 1) { totalCount } }')).status).toBe(503);
    expect(server.output()).not.toMatch(/Unexpected error|uncaught/i);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
