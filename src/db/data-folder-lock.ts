import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/*
 * One process per embedded data folder. PGlite opens a folder without any lock of its own (its
 * postmaster.pid always says -42), so two servers on one folder both run and corrupt it. Like
 * PostgreSQL's postmaster.pid, the server writes its process id into the folder and refuses to start
 * while the process named there is alive.
 *
 * A lock is taken over only when its holder is certainly gone: a dead process, a process id now
 * used by a younger process, or a machine that has rebooted since. Never on age: a heartbeat runs on
 * the event loop, which a long statement can block, and a live holder judged stale is exactly the
 * corruption this prevents. A holder on another host (a shared volume) cannot be checked from here,
 * so that lock is refused and the message says how to clear it.
 */

export const LOCK_FILE = 'server.lock';

interface Holder {
  pid: number;
  host: string;
  /** The kernel's boot id: a process of an earlier boot is gone. */
  bootId: string | null;
  /** The process's start time in clock ticks since boot (Linux), which tells a reused pid. */
  processStart: string | null;
  startedAt: string;
  /** Unique per lock, so a holder recognizes its own file. */
  token: string;
}

export class DataFolderInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: Holder,
    checkable: boolean,
  ) {
    super(
      checkable
        ? `The data folder ${dataDir} is in use by another server (process ${holder.pid} on ${holder.host}, ` +
            `started ${holder.startedAt}). Stop that server first, or set DATA_DIR to another folder.`
        : `The data folder ${dataDir} is locked by process ${holder.pid} on host ${holder.host} (started ` +
            `${holder.startedAt}), which cannot be checked from ${hostname()}. If no server runs there on this ` +
            `folder any more, delete ${path.join(dataDir, LOCK_FILE)}; otherwise stop it first.`,
    );
    this.name = 'DataFolderInUseError';
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

const bootId = readOrNull('/proc/sys/kernel/random/boot_id');

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function processStart(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Verdict = 'alive' | 'gone' | 'uncheckable';

function judge(holder: Holder): Verdict {
  if (holder.host !== hostname()) return 'uncheckable';
  if (holder.bootId && bootId && holder.bootId !== bootId) return 'gone';
  // A server restarted in a container often gets the pid its predecessor had.
  if (holder.pid === process.pid) return 'gone';
  if (!isRunning(holder.pid)) return 'gone';
  const start = holder.processStart ? processStart(holder.pid) : null;
  if (start !== null && start !== holder.processStart) return 'gone';
  return 'alive';
}

function parse(text: string): Holder | null {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (!Number.isSafeInteger(value.pid) || value.pid! <= 0 || typeof value.host !== 'string') return null;
    return {
      pid: value.pid!,
      host: value.host,
      bootId: value.bootId ?? null,
      processStart: value.processStart ?? null,
      startedAt: String(value.startedAt ?? 'at an unknown time'),
      token: String(value.token ?? ''),
    };
  } catch {
    return null;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates the file only if it does not exist (atomic), with `text` in it. */
function create(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Deletes a lock judged stale, unless it changed since it was read: two processes taking over the
 * same stale lock take turns on a directory (mkdir is atomic), so the second one finds the first
 * one's fresh lock and leaves it.
 */
function removeIfUnchanged(file: string, seen: string): void {
  const turn = `${file}.takeover`;
  try {
    mkdirSync(turn);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Left behind only by a process that died within the few statements below.
    if (Date.now() - statSync(turn, { throwIfNoEntry: false })!.mtimeMs > 10_000)
      rmSync(turn, { force: true, recursive: true });
    else sleep(20);
    return;
  }
  try {
    if (readOrNull(file) === seen) unlinkSync(file);
  } finally {
    rmdirSync(turn);
  }
}

/** Locks this process holds: a second open of one folder in one process is refused too. */
const held = new Set<string>();

export class DataFolderLock {
  private readonly watchdog: NodeJS.Timeout;
  private released = false;

  private constructor(
    readonly file: string,
    private readonly text: string,
    checkEveryMs: number,
  ) {
    held.add(file);
    // A lock file deleted by hand while the server runs would let a second server in: put it back,
    // and stop if another process has taken the folder meanwhile.
    this.watchdog = setInterval(() => this.check(), checkEveryMs).unref();
    process.once('exit', () => this.release());
  }

  /**
   * Takes the folder for this process, or throws DataFolderInUseError naming the process that has
   * it. Synchronous: it runs once, before the database opens.
   */
  static acquire(dataDir: string, options: { checkEveryMs?: number } = {}): DataFolderLock {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, LOCK_FILE);
    if (held.has(file)) throw new Error(`The data folder ${dataDir} is open in this process already`);
    const me: Holder = {
      pid: process.pid,
      host: hostname(),
      bootId,
      processStart: processStart(process.pid),
      startedAt: new Date().toISOString(),
      token: randomUUID(),
    };
    const text = JSON.stringify(me);
    for (let attempt = 0; attempt < 200; attempt++) {
      if (create(file, text)) return new DataFolderLock(file, text, options.checkEveryMs ?? 5_000);
      const seen = readOrNull(file);
      if (seen === null) continue;
      const holder = parse(seen);
      if (holder === null) {
        // Another process may be between creating the file and writing it; a file that stays
        // unreadable is no lock of ours.
        const age = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
        if (age < 2_000) sleep(20);
        else removeIfUnchanged(file, seen);
        continue;
      }
      const verdict = judge(holder);
      if (verdict !== 'gone') throw new DataFolderInUseError(dataDir, holder, verdict === 'alive');
      removeIfUnchanged(file, seen);
    }
    throw new Error(`Could not take the lock ${file}: it kept changing`);
  }

  /** Removes the lock if it is still this process's own. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.file);
    clearInterval(this.watchdog);
    try {
      if (readOrNull(this.file) === this.text) unlinkSync(this.file);
    } catch {
      // The folder is gone: so is the lock.
    }
  }

  private check(): void {
    const current = readOrNull(this.file);
    if (current === this.text) return;
    if (current === null && !existsSync(path.dirname(this.file))) {
      // The whole folder is gone: the database refuses every statement from now on and says so
      // (src/db/write-outcome.ts). No lock can be written, and none is needed until it is back.
      return;
    }
    if (current === null && create(this.file, this.text)) {
      console.error(`The lock file ${this.file} was deleted while this server was running: written again`);
      return;
    }
    console.error(
      `The lock file ${this.file} now belongs to another process: stopping at once, so that two servers ` +
        'never write to one data folder.',
    );
    process.exit(1);
  }
}
