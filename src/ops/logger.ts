import cluster from 'node:cluster';
import pino, { type DestinationStream } from 'pino';
import { config } from '../config';

// The server's one log. In production (LOG_FORMAT=json, the default there) one JSON object per
// line on stdout, written synchronously (no line is lost when the process exits or crashes; a
// line costs one write of a few hundred bytes). Elsewhere (LOG_FORMAT=pretty) the same lines read
// back and printed short, for people: written here rather than with pino-pretty, which would have
// to be installed in production too (it is a transport, loaded by name) for a dozen lines of code.

/** A log line for people: clock, level, message, then the other fields as key=value; stacks below. */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, err, ...fields } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const rest = Object.entries(fields)
    .filter(([, value]) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  let text = `${clock} ${String(level).toUpperCase().padEnd(5)} ${String(msg ?? '')}${rest ? ` ${rest}` : ''}`;
  const error = err as { type?: string; message?: string; stack?: string } | undefined;
  if (error) text += `\n${error.stack ?? `${error.type}: ${error.message}`}`;
  return `${text}\n`;
}

const stdout: DestinationStream =
  config.logFormat === 'json'
    ? pino.destination({ dest: 1, sync: true })
    : { write: (line: string) => void process.stdout.write(prettyLine(line)) };

let destination: DestinationStream = stdout;

export const logger = pino(
  {
    level: config.logLevel,
    // No hostname on every line: whatever collects the lines knows where they come from. The pid
    // only from a worker of WEB_CONCURRENCY > 1, whose lines share one stdout with the others'.
    base: cluster.isWorker ? { pid: process.pid } : null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  // Through a level of indirection, so that tests can read the lines (captureLog).
  { write: (line: string) => destination.write(line) },
);

/**
 * Sends the log's lines (JSON, whatever LOG_FORMAT says) to `stream` instead of stdout, until the
 * returned function is called. For tests.
 */
export function captureLog(stream: DestinationStream): () => void {
  destination = stream;
  return () => {
    destination = stdout;
  };
}

const BURST_MS = 10_000;

/**
 * A log for events that come in storms: the first of a burst is printed, then a count every 10 s
 * while it lasts, so thousands of refusals cost a few lines, not one (and a stack) each.
 */
export function burstLog(what: string): (detail: string) => void {
  let burst: { started: number; more: number } | null = null;
  return (detail) => {
    const now = Date.now();
    if (burst && now - burst.started < BURST_MS) {
      burst.more++;
      return;
    }
    if (burst && burst.more > 0) logger.warn(`${what}: ${burst.more} more in the last burst`);
    burst = { started: now, more: 0 };
    logger.warn(`${what} (${detail})`);
  };
}
