import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { DataFolderInUseError, DataFolderLock, LOCK_FILE } from '../src/db/data-folder-lock';
import { startServer } from './support/server-process';

// One process per embedded data folder (PGlite only; run once, see jest.config.js). Two servers on
// one folder both used to start and corrupt it.

const root = path.resolve(__dirname, '..');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'heroes-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockFile = () => path.join(dir, LOCK_FILE);
const holderPid = () => (JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number }).pid;

/** A process id that no process has now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

/** Node processes that each try to take the lock of `dir`, then hold it for `holdMs`. */
function contenders(count: number, holdMs: number): Promise<string>[] {
  const script = `
    const { DataFolderLock } = require('./src/db/data-folder-lock');
    try {
      const lock = DataFolderLock.acquire(process.argv[1]);
      console.log('acquired ' + process.pid);
      setTimeout(() => lock.release(), ${holdMs});
    } catch (error) {
      console.log('refused: ' + error.message);
    }`;
  return Array.from({ length: count }, () => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '-e', script, dir], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise<string>((resolve) => child.on('exit', () => resolve(output.trim())));
  });
}

describe('the server on a data folder', () => {
  it('refuses a second server on the same folder, naming the first; starts again after a kill -9', async () => {
    const first = await startServer({ DATA_DIR: dir });
    try {
      const firstPid = holderPid();
      const second = await startServer({ DATA_DIR: dir }).then(
        () => 'started',
        (error: Error) => error.message,
      );
      expect(second).toMatch(/server exited with 1/);
      expect(second).toContain(`The data folder ${dir} is in use by another server (process ${firstPid} on`);
      expect(second).not.toMatch(/\n\s+at /); // a message, not a stack trace

      // The first server still answers, and still holds the folder.
      const response = await fetch(`${first.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ teams { totalCount } }' }),
      });
      expect(await response.json()).toEqual({ data: { teams: { totalCount: 2 } } });
      expect(holderPid()).toBe(firstPid);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }

    // The crashed server's lock stays behind, and does not block the next start.
    expect(existsSync(lockFile())).toBe(true);
    const third = await startServer({ DATA_DIR: dir });
    expect(holderPid()).not.toBe(first.child.pid);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    // A clean stop removes its lock.
    expect(existsSync(lockFile())).toBe(false);
  }, 90_000);

  it('refuses WEB_CONCURRENCY=2 at start, with a message, before it opens the folder', async () => {
    const attempt = await startServer({ DATA_DIR: dir, WEB_CONCURRENCY: '2' }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(attempt).toMatch(/server exited with 1/);
    expect(attempt).toContain(
      `WEB_CONCURRENCY=2 needs PostgreSQL (DATABASE_URL): the embedded PGlite database in ${dir}`,
    );
    expect(attempt).not.toMatch(/\n\s+at /);
    // Nothing was opened: no lock, no database files.
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
});

describe('DataFolderLock', () => {
  it('lets exactly one of several processes take over the same stale lock', async () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: await deadPid(), host: hostname(), startedAt: 'earlier' }));
    const outputs = await Promise.all(contenders(6, 3_000));
    const winners = outputs.filter((output) => output.startsWith('acquired'));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.split(' ')[1];
    for (const output of outputs.filter((o) => !o.startsWith('acquired'))) {
      expect(output).toContain(`in use by another server (process ${winner} on`);
    }
  }, 60_000);

  it('takes over the lock of a pid that now belongs to another, younger process', () => {
    // Our parent is alive, but it did not start at the time the lock records.
    writeFileSync(
      lockFile(),
      JSON.stringify({ pid: process.ppid, host: hostname(), processStart: '1', startedAt: 'before a crash' }),
    );
    const lock = DataFolderLock.acquire(dir);
    expect(holderPid()).toBe(process.pid);
    lock.release();
    expect(existsSync(lockFile())).toBe(false);
  });

  it('takes over a lock of an earlier boot of this machine', () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: process.ppid, host: hostname(), bootId: 'an-earlier-boot' }));
    const lock = DataFolderLock.acquire(dir);
    expect(holderPid()).toBe(process.pid);
    lock.release();
  });

  it('refuses a lock held on another host, which it cannot check, and says how to clear it', () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: 1234, host: 'elsewhere', startedAt: 'yesterday' }));
    const attempt = () => DataFolderLock.acquire(dir);
    expect(attempt).toThrow(DataFolderInUseError);
    expect(attempt).toThrow(`locked by process 1234 on host elsewhere`);
    expect(attempt).toThrow(`delete ${lockFile()}`);
  });

  it('waits for a lock being written, and takes over one that stays unreadable', () => {
    writeFileSync(lockFile(), '{"pid": 12');
    utimesSync(lockFile(), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const lock = DataFolderLock.acquire(dir);
    expect(holderPid()).toBe(process.pid);
    lock.release();
  });

  it('refuses a second open of one folder in the same process', () => {
    const lock = DataFolderLock.acquire(dir);
    expect(() => DataFolderLock.acquire(dir)).toThrow('open in this process already');
    lock.release();
  });

  it('writes its lock again when it is deleted while held', async () => {
    const lock = DataFolderLock.acquire(dir, { checkEveryMs: 50 });
    const log = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      unlinkSync(lockFile());
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(holderPid()).toBe(process.pid);
      expect(log).toHaveBeenCalledWith(expect.stringContaining('was deleted while this server was running'));
      // Another process now refuses the folder.
      const [refused] = contenders(1, 0);
      expect(await refused).toContain(`process ${process.pid} on`);
    } finally {
      log.mockRestore();
      lock.release();
    }
  }, 30_000);
});
