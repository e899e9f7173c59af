import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// Figures read from /proc (Linux): CPU time of a process or of every PostgreSQL process, and peak RSS.
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

/**
 * CPU time (ms) used so far by every process named "postgres" on this machine: the server's
 * backends and its background workers. Undefined when there is none (a remote PostgreSQL).
 */
export function postgresCpuMs(): number | undefined {
  let total = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.comm !== 'postgres') continue;
    found = true;
    total += stat.cpuMs;
  }
  return found ? total : undefined;
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
