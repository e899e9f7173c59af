import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Client } from 'pg';

// Figures read from /proc (Linux): CPU time of a process or of PostgreSQL backends, and peak RSS.
// CPU time per request drifts far less than wall-clock time on a shared machine.

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Name and user + system CPU time (ms) of a process, or undefined when it is gone. */
function readStat(pid: number): { comm: string; cpuMs: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The name sits in parentheses and may itself hold spaces or parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // After the name: state is field 3 of the file, utime field 14 and stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { comm: text.slice(open + 1, close), cpuMs: ((utime + stime) * 1000) / clockTicks() };
}

/** CPU time (user + system, ms) the process has used so far. */
export function processCpuMs(pid: number): number | undefined {
  return readStat(pid)?.cpuMs;
}

/** The processes `pid` started that still run (the workers of WEB_CONCURRENCY > 1). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU time (ms) of the process and of the processes it started that still run. */
export function processTreeCpuMs(pid: number): number | undefined {
  const own = processCpuMs(pid);
  if (own === undefined) return undefined;
  return childPids(pid).reduce((total, child) => total + (processTreeCpuMs(child) ?? 0), own);
}

export type CpuSnapshot = Map<number, number>;

/**
 * CPU time (ms) used so far by each PostgreSQL backend connected to the database of `client`
 * (other than its own), by pid. Counting only these leaves out whatever else the shared machine
 * runs on the same PostgreSQL. Undefined when the backends are not local processes.
 */
export async function backendCpu(client: Client): Promise<CpuSnapshot | undefined> {
  const { rows } = await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const snapshot: CpuSnapshot = new Map();
  for (const { pid } of rows) {
    const cpu = processCpuMs(pid);
    if (cpu !== undefined) snapshot.set(pid, cpu);
  }
  return snapshot.size > 0 ? snapshot : undefined;
}

/** CPU time (ms) the backends used between two snapshots; a backend that ended in between is lost. */
export function cpuBetween(before: CpuSnapshot | undefined, after: CpuSnapshot | undefined): number | undefined {
  if (!before || !after) return undefined;
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/** Peak (VmHWM) and current (VmRSS) resident set size of a process, in MB. */
export function memoryMb(pid: number): { peak: number; current: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, current: kb('VmRSS') / 1024 };
}

/**
 * The flags `npm run start:prod` gives node before dist/src/server.js (package.json), so that the
 * bench measures the server as production runs it (V8's --heap-growing-percent, say).
 */
export function productionNodeFlags(): string[] {
  const scripts = (
    JSON.parse(readFileSync(`${__dirname}/../package.json`, 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const match = /\bnode((?: --[\w-]+(?:=\S+)?)*) dist\/src\/server\.js/.exec(scripts['start:prod'] ?? '');
  if (!match) throw new Error('package.json: start:prod does not run node … dist/src/server.js');
  return match[1]!.split(' ').filter(Boolean);
}

/**
 * The node flags `npm start` runs the server with (package.json: `tsx <flags> src/server.ts`), so
 * that `npm run bench -- --embedded` measures the server as a user of `npm start` gets it.
 */
export function startNodeFlags(): string[] {
  const scripts = (
    JSON.parse(readFileSync(`${__dirname}/../package.json`, 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const match = /^tsx((?: --[\w-]+(?:=\S+)?)*) src\/server\.ts$/.exec(scripts.start ?? '');
  if (!match) throw new Error('package.json: start does not run tsx … src/server.ts');
  return match[1]!.split(' ').filter(Boolean);
}
