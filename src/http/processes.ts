import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { logger } from '../ops/logger';

// WEB_CONCURRENCY=N server processes on one machine (node:cluster): the primary forks N workers,
// which share the port (the primary accepts connections and hands them out in turn), each with its
// own PostgreSQL pool (N × PG_POOL_MAX connections in all), its own LISTEN connection and its own
// bounds (MAX_OPERATIONS_IN_FLIGHT and the rest are per process). The primary serves no request:
// it migrates once before forking, restarts a worker that dies, gathers the workers' metrics for
// whichever of them is scraped, and on SIGTERM or SIGINT stops them all and waits for them.

/** The first restart waits this long; each further one in a row twice as long, up to the most. */
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A worker that served this long without dying starts its successor's backoff afresh. */
const STABLE_MS = 30_000;

const METRICS_REQUEST = 'heroes:metrics-request';
const METRICS_ANSWER = 'heroes:metrics-answer';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
const READY_REQUEST = 'heroes:ready-request';
const READY_ANSWER = 'heroes:ready-answer';
/** How long the primary waits for a worker to say whether it is ready. */
const READY_WAIT_MS = 2_000;

interface ReadyRequest {
  type: typeof READY_REQUEST;
  id: number;
}
interface ReadyAnswer {
  type: typeof READY_ANSWER;
  id: number;
  ready: boolean;
}
interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: number;
  text?: string;
  error?: string;
}

export const isWorker = cluster.isWorker;

export interface PrimaryOptions {
  workers: number;
  /** How long a worker may take to stop once told to: SHUTDOWN_GRACE_MS, plus room to close. */
  stopWaitMs: number;
  /** What workers are started with on top of the primary's environment. */
  workerEnv: Record<string, string>;
  /** Once every first worker listens: the port they share. */
  onListening: (port: number) => void;
  /**
   * Serves the metrics of every worker and the probes (METRICS_PORT: the primary listens, not each
   * worker): ready while not stopping and a worker says it is.
   */
  serveManagement: (management: { read: () => Promise<string>; ready: () => Promise<boolean> }) => void;
}

/**
 * Runs the primary: forks the workers, keeps their number, and exits once they have all stopped
 * after SIGTERM or SIGINT (0 when each of them stopped cleanly).
 */
export function runPrimary(options: PrimaryOptions): void {
  const startedAt = new Map<Worker, number>();
  let listening = 0;
  let started = false;
  let stopping = false;
  let failuresInARow = 0;
  let cleanStops = true;
  const metrics = new AggregatorRegistry();
  let readyRequests = 0;
  const readyWaiting = new Map<number, (ready: boolean) => void>();

  const fork = () => {
    const worker = cluster.fork(options.workerEnv);
    startedAt.set(worker, Date.now());
    worker.on('message', (message: MetricsRequest | ReadyAnswer) => {
      if (message?.type === READY_ANSWER) {
        readyWaiting.get(message.id)?.(message.ready);
        return;
      }
      if (message?.type !== METRICS_REQUEST) return;
      const answer = (fields: Omit<MetricsAnswer, 'type' | 'id'>) => {
        if (worker.isConnected()) worker.send({ type: METRICS_ANSWER, id: message.id, ...fields });
      };
      metrics.clusterMetrics().then(
        (text) => answer({ text }),
        (error: Error) => answer({ error: error.message }),
      );
    });
  };

  cluster.on('listening', (worker: Worker, address: AddressInfo) => {
    logger.info(`Worker ${worker.process.pid} listening`);
    if (started) return;
    listening += 1;
    if (listening === options.workers) {
      started = true;
      options.onListening(address.port);
    }
  });

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (stopping) {
      if (code !== 0) cleanStops = false;
      logger.info(`Worker ${worker.process.pid} stopped (${how})`);
      if (startedAt.size === 0) process.exit(cleanStops ? 0 : 1);
      return;
    }
    if (!started) {
      // A worker that cannot start would fail again on every restart: the server did not start.
      logger.fatal(`Worker ${worker.process.pid} exited (${how}) before the server listened: stopping`);
      stop('start failure', 1);
      return;
    }
    failuresInARow = lived >= STABLE_MS ? 1 : failuresInARow + 1;
    const delay = Math.min(RESTART_FIRST_MS * 2 ** (failuresInARow - 1), RESTART_MAX_MS);
    logger.error(
      `Worker ${worker.process.pid} exited unexpectedly (${how}) after ${Math.round(lived / 1000)} s; ` +
        `starting another in ${delay} ms`,
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  const stop = (why: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    if (exitCode !== 0) cleanStops = false;
    logger.warn(`${why}: stopping ${startedAt.size} workers`);
    // Each worker finishes its requests in flight (src/server.ts), then exits.
    for (const worker of startedAt.keys()) worker.process.kill('SIGTERM');
    if (startedAt.size === 0) process.exit(cleanStops ? 0 : 1);
    setTimeout(() => {
      logger.error(`Workers still running ${options.stopWaitMs} ms after ${why}: killing them`);
      for (const worker of startedAt.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, options.stopWaitMs).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Ctrl-C reaches the workers too (one process group): they stop on their own, the primary waits.
  process.on('SIGINT', () => stop('SIGINT'));

  /** Ready while not stopping and one worker at least says it is (each asked, READY_WAIT_MS at most). */
  const ready = () =>
    new Promise<boolean>((resolve) => {
      const workers = [...startedAt.keys()].filter((worker) => worker.isConnected());
      if (stopping || workers.length === 0) return resolve(false);
      const id = readyRequests++;
      let unanswered = workers.length;
      const done = (answer: boolean) => {
        clearTimeout(timer);
        readyWaiting.delete(id);
        resolve(answer);
      };
      const timer = setTimeout(() => done(false), READY_WAIT_MS);
      readyWaiting.set(id, (answer) => {
        if (answer) done(true);
        else if (--unanswered === 0) done(false);
      });
      for (const worker of workers) worker.send({ type: READY_REQUEST, id } satisfies ReadyRequest);
    });

  for (let i = 0; i < options.workers; i++) fork();
  options.serveManagement({ read: () => metrics.clusterMetrics(), ready });
}

/** In a worker: answers the primary's asking whether this process can serve (the probes of METRICS_PORT). */
export function answerReadiness(isReady: () => Promise<boolean>): void {
  process.on('message', (message: ReadyRequest) => {
    if (message?.type !== READY_REQUEST) return;
    void isReady()
      .catch(() => false)
      .then((ready) => {
        if (process.connected) process.send!({ type: READY_ANSWER, id: message.id, ready } satisfies ReadyAnswer);
      });
  });
}

let metricsRequests = 0;
const metricsWaiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();

/**
 * In a worker: answers the primary's requests for this process's metrics, and returns what a scrape
 * of any worker answers: the metrics of all of them, gathered by the primary (prom-client's
 * AggregatorRegistry: counters and histograms summed, so are the pool gauges; the event-loop lag
 * averaged). Without it each scrape would see one worker, a different one each time.
 */
export function clusterMetrics(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Its constructor is what makes a worker answer the primary's requests.
  new AggregatorRegistry();
  process.on('message', (message: MetricsAnswer) => {
    if (message?.type !== METRICS_ANSWER) return;
    const waiting = metricsWaiting.get(message.id);
    if (!waiting) return;
    metricsWaiting.delete(message.id);
    if (message.text !== undefined) waiting.resolve(message.text);
    else waiting.reject(new Error(`The primary could not gather the metrics: ${message.error}`));
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = metricsRequests++;
      metricsWaiting.set(id, { resolve, reject });
      process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
}
