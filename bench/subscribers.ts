import { writeFileSync } from 'node:fs';
import { commandLine, provenance, provenanceLines } from './provenance';
import http from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startServer } from '../test/support/server-process';
import { memoryMb, processCpuMs } from './proc';
import { percentile } from './stats';

// Fan-out of change events to many subscribers (docs/realtime.md): a server process with N
// subscriptions to one team's memberships, over WebSocket (graphql-ws, 100 subscriptions per
// connection) or Server-Sent Events (one HTTP connection each, as graphql-sse's "distinct
// connections" mode and Yoga's own client send them), each selecting the event's hero and team;
// then M memberships added one at a time, each waited for until every subscriber has it. While
// each event fans out, a probe sends a small query every 10 ms: its answers show whether the
// server still answers other requests during a fan-out (and whether it sheds them, 503).
//
// Reports per transport and N: the time from sending the mutation to the first and the last
// subscriber's delivery (the mutation's own round trip is in it: an upper bound of the time from
// commit), the server's CPU per event and per delivery, its RSS before subscribing and once
// subscribed (per subscriber), the SQL statements and executions per event (db_statements_total
// {purpose="subscription_event"} and graphql_subscription_executions_total of /metrics), and the
// probe's latency.
//
//   npm run bench:subscribers                                    # fan-out: 1,000 and 10,000, both transports; resume: 1,000
//   npm run bench:subscribers -- --subscribers 1000 --transports sse --events 10
//   npm run bench:subscribers -- --operations 1000               # every subscriber a different operation
//   npm run bench:subscribers -- --database-url postgresql://postgres@127.0.0.1:5432/heroes_bench_subs
//
// PGlite in memory by default (nothing to set up); the clients run in this process, on the same
// machine: their own work (parsing N messages per event) competes with the server's.
//
// The resume scenario (`--scenarios resume`, after the fan-out by default): N subscribers (1,000
// unless --subscribers says) follow one team's memberships over WebSocket, selecting the event's
// cursor too, and each keeps the cursor of the first event it receives; every connection is
// closed; M memberships (--resume-events, default 100) are added through the server, one
// mutation (one transaction, one event) each; then all N subscribe again with `after:` their
// cursor, on new connections. Reports the time from sending those subscriptions to the first, the
// median and the last subscriber having all M events (each checked: exactly the M events, once
// each, in commit order; the run fails otherwise), the SQL statements the server sent meanwhile
// per resume (db_statements_total by purpose), executions per resume and the server's CPU.
//
//   npm run bench:subscribers -- --scenarios resume --subscribers 1000 --resume-events 100

const { values: options } = parseArgs({
  options: {
    // No default here: the fan-out's is 1000,10000, the resume scenario's 1000 (below).
    subscribers: { type: 'string' },
    transports: { type: 'string', default: 'ws,sse' },
    events: { type: 'string', default: '20' },
    scenarios: { type: 'string', default: 'fanout,resume' },
    'resume-events': { type: 'string', default: '100' },
    operations: { type: 'string', default: '1' },
    'database-url': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (options.help) {
  console.log(`npx tsx bench/subscribers.ts [options]
  --scenarios LIST      fanout, resume or both (default fanout,resume; the fan-out runs first)
  --subscribers A,B     subscriber counts, one server process each (default 1000,10000 for the
                        fan-out, 1000 for resume; when given, both scenarios run at these counts)
  --transports ws,sse   transports of the fan-out, in this order (default ws,sse; resume: ws only)
  --events M            memberships added, one at a time, per fan-out row (default 20)
  --resume-events M     memberships committed while the resume scenario's subscribers are away (default 100)
  --operations K        distinct operations the fan-out's subscribers send (same fields, different
                        aliases; default 1: all the same, as many browsers on one roster screen)
  --database-url URL    PostgreSQL (a database of its own: the bench adds rows); default PGlite in memory
  --out FILE            report (default bench/results/subscribers.md)`);
  process.exit(0);
}

type Transport = 'ws' | 'sse';
const PER_CONNECTION = 100;
const PROBE_EVERY_MS = 10;

/** The subscription of operation `k`: the same fields under an alias of its own, so that K of them differ. */
const subscriptionOf = (k: number, operations: number) =>
  operations === 1
    ? `subscription Watch($team: ID!) {
  membershipChanged(teamId: $team) { kind heroId isTraining hero { name } team { name } }
}`
    : `subscription Watch${k}($team: ID!) {
  membershipChanged(teamId: $team) { kind heroId isTraining hero { name } team { name${k}: name } }
}`;

const rssMb = (pid: number) => memoryMb(pid)?.current ?? 0;

interface Subscriber {
  close(): void;
}

/** One subscription over Server-Sent Events on a connection of its own; `onEvent` gets each event's heroId. */
function subscribeSse(
  base: string,
  query: string,
  variables: Record<string, unknown>,
  onEvent: (heroId: string) => void,
): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query, variables });
    const request = http.request(
      `${base}/graphql`,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        if (response.statusCode !== 200) {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => reject(new Error(`SSE subscription answered ${response.statusCode}: ${text}`)));
          return;
        }
        response.setEncoding('utf8');
        let buffer = '';
        response.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!block.startsWith('event: next')) continue;
            const data = block.slice(block.indexOf('data: ') + 6);
            const message = JSON.parse(data) as { data?: { membershipChanged: { heroId: string } }; errors?: unknown };
            if (message.errors) console.error('subscription error', JSON.stringify(message.errors));
            else onEvent(message.data!.membershipChanged.heroId);
          }
        });
        response.on('error', () => undefined);
        resolve({ close: () => request.destroy() });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The sum of a metric's samples in the server's /metrics, those whose labels contain `labels`. */
async function metric(base: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !line.includes(labels)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The server's environment for `subscribers` subscriptions: the same for both scenarios. */
function serverEnv(subscribers: number): Record<string, string> {
  const database: Record<string, string> = options['database-url']
    ? { DATABASE_URL: options['database-url'] }
    : { DATA_DIR: 'memory://' };
  return {
    ...database,
    NODE_ENV: 'development',
    ANONYMOUS_ROLE: 'admin',
    LOG_LEVEL: 'warn',
    MAX_SUBSCRIPTIONS: String(subscribers + 10),
    MAX_SUBSCRIPTIONS_PER_CONNECTION: String(PER_CONNECTION),
    MAX_CONNECTIONS: String(subscribers + 100),
    // The subscribers' streams and sockets take memory of their own; what the bench measures is
    // whether the other bounds (MAX_EVENT_LOOP_DELAY_MS among them) hold during a fan-out.
    MAX_MEMORY_MB: '0',
    ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
  };
}

/**
 * The server of one row, which does not outlive the bench however it ends (an uncaught error
 * included), and `post`, which sends it an operation: one shed (503: the loop ran late, on a busy
 * machine) is sent again, up to 100 in all, and counted in `shed.mutations`.
 */
async function benchServer(subscribers: number) {
  const server = await startServer(serverEnv(subscribers));
  const kill = () => server.child.kill('SIGKILL');
  process.once('exit', kill);
  const shed = { mutations: 0 };
  const post = async (query: string, variables: Record<string, unknown> = {}): Promise<any> => {
    for (;;) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: any; errors?: unknown };
      if (response.status === 503 && shed.mutations++ < 100) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    }
  };
  const stop = async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    process.off('exit', kill);
  };
  return { server, pid: server.child.pid!, post, shed, stop };
}

async function run(transport: Transport, subscribers: number, events: number, operations: number) {
  const { server, pid, post, shed, stop } = await benchServer(subscribers);
  let subscribesShed = 0;
  let wsRetries = 0;
  const clients: Client[] = [];
  const streams: Subscriber[] = [];
  try {
    const team = (await post(`mutation { createTeam(input: { name: "Bench", headquarters: "b" }) { team { id } } }`))
      .createTeam.team.id as string;
    const heroes: string[] = [];
    for (let i = 0; i <= events; i++) {
      heroes.push(
        (
          await post(`mutation ($n: String!) { createHero(input: { name: $n, secretName: "s" }) { hero { id } } }`, {
            n: `Bench hero ${i}`,
          })
        ).createHero.hero.id,
      );
    }

    // Deliveries per event (by hero id), each with its arrival time.
    const arrivals = new Map<string, number[]>();
    let waiter: { hero: string; resolve: () => void } | undefined;
    const arrived = (hero: string) => {
      let list = arrivals.get(hero);
      if (!list) arrivals.set(hero, (list = []));
      list.push(performance.now());
      if (waiter?.hero === hero && list.length === subscribers) waiter.resolve();
    };
    const rssBefore = rssMb(pid);
    const openedAt = performance.now();
    const variables = { team };
    if (transport === 'ws') {
      for (let c = 0; c * PER_CONNECTION < subscribers; c++) {
        const client = createClient({
          url: `${server.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          // An upgrade refused with 503 (a burst of connections while the loop runs late) is
          // tried again; counted. graphql-ws retries only close events unless told otherwise.
          retryAttempts: 20,
          shouldRetry: () => true,
          on: { closed: () => void wsRetries++ },
        });
        clients.push(client);
        for (let s = 0; s < PER_CONNECTION && c * PER_CONNECTION + s < subscribers; s++) {
          const k = (c * PER_CONNECTION + s) % operations;
          client.subscribe<{ membershipChanged: { heroId: string } }>(
            { query: subscriptionOf(k, operations), variables },
            {
              next: (message) => arrived(message.data!.membershipChanged.heroId),
              error: (error) => console.error('subscription error', error),
              complete: () => undefined,
            },
          );
        }
      }
    } else {
      // A hundred at a time (ten thousand connects at once overflow the listen backlog), each sent
      // again after a 503 (the server sheds a burst of subscribes as it does any burst).
      const subscribe = async (k: number): Promise<Subscriber> => {
        for (;;) {
          try {
            return await subscribeSse(server.url, subscriptionOf(k, operations), variables, arrived);
          } catch (error) {
            if (!String(error).includes('answered 503') || subscribesShed++ > subscribers) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      };
      for (let i = 0; i < subscribers; i += 100) {
        const batch = Array.from({ length: Math.min(100, subscribers - i) }, (_, j) => subscribe((i + j) % operations));
        streams.push(...(await Promise.all(batch)));
      }
    }
    const join = (hero: string) =>
      post(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
        h: hero,
        t: team,
      });
    const all = (hero: string, timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        if ((arrivals.get(hero)?.length ?? 0) >= subscribers) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`${arrivals.get(hero)?.length ?? 0} of ${subscribers} got ${hero}`)),
          timeoutMs,
        );
        waiter = {
          hero,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    // Warm-up: every subscription is live once all have the first event (retried until they are:
    // a WebSocket subscription is live once the server has read its subscribe message).
    const warm = heroes[0]!;
    for (let attempt = 0; ; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (attempt > 0) {
        await post(
          `mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }`,
          { h: warm, t: team },
        );
        arrivals.delete(warm);
      }
      await join(warm);
      try {
        await all(warm, 30_000);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    const subscribedMs = performance.now() - openedAt;
    const rssSubscribed = rssMb(pid);

    const firsts: number[] = [];
    const lasts: number[] = [];
    const deliveries: number[] = [];
    const probes: number[] = [];
    let probesShed = 0;
    const statementsBefore = await metric(server.url, 'db_statements_total', 'purpose="subscription_event"');
    const executionsBefore = await metric(server.url, 'graphql_subscription_executions_total');
    const cpuBefore = processCpuMs(pid)!;
    let peakRss = rssSubscribed;
    for (const hero of heroes.slice(1)) {
      let fanningOut = true;
      const probing = (async () => {
        while (fanningOut) {
          const sent = performance.now();
          const response = await fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ team(id: "' + team + '") { name } }' }),
          });
          await response.arrayBuffer();
          if (response.status === 503) probesShed++;
          else probes.push(performance.now() - sent);
          await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
        }
      })();
      const sent = performance.now();
      await join(hero);
      await all(hero, 60_000);
      fanningOut = false;
      await probing;
      const times = arrivals.get(hero)!.map((at) => at - sent);
      times.sort((a, b) => a - b);
      firsts.push(times[0]!);
      lasts.push(times.at(-1)!);
      deliveries.push(...times);
      peakRss = Math.max(peakRss, rssMb(pid));
    }
    const cpuMs = processCpuMs(pid)! - cpuBefore;
    const statements =
      (await metric(server.url, 'db_statements_total', 'purpose="subscription_event"')) - statementsBefore;
    const executions = (await metric(server.url, 'graphql_subscription_executions_total')) - executionsBefore;
    for (const list of [firsts, lasts, deliveries, probes]) list.sort((a, b) => a - b);
    return {
      transport,
      subscribers,
      events,
      subscribedMs,
      rssBefore,
      rssSubscribed,
      peakRss,
      rssPerSubscriberKb: ((rssSubscribed - rssBefore) * 1024) / subscribers,
      cpuPerEventMs: cpuMs / events,
      cpuPerDeliveryUs: (cpuMs * 1000) / (events * subscribers),
      statementsPerEvent: statements / events,
      executionsPerEvent: executions / events,
      first: { p50: percentile(firsts, 50), max: firsts.at(-1)! },
      last: { p50: percentile(lasts, 50), max: lasts.at(-1)! },
      delivery: { p50: percentile(deliveries, 50), p99: percentile(deliveries, 99) },
      mutationsShed: shed.mutations,
      subscribesShed: subscribesShed + wsRetries,
      probe: { count: probes.length, p50: percentile(probes, 50), max: probes.at(-1) ?? 0, shed: probesShed },
    };
  } catch (error) {
    console.error(server.output().slice(-3000));
    throw error;
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    for (const stream of streams) stream.close();
    await stop();
  }
}

const RESUME_SUBSCRIPTION = `subscription Resume($team: ID!, $after: String) {
  membershipChanged(teamId: $team, after: $after) { cursor kind heroId isTraining hero { name } team { name } }
}`;

interface Received {
  cursor: string;
  kind: string;
  heroId: string;
}

/** The statements the server sent so far, by purpose (db_statements_total). */
async function statementsByPurpose(base: string) {
  const [request, event, other] = await Promise.all(
    ['request', 'subscription_event', 'other'].map((purpose) =>
      metric(base, 'db_statements_total', `purpose="${purpose}"`),
    ),
  );
  return { request: request!, event: event!, other: other! };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * The resume scenario: N subscribers each get a first event and keep its cursor, all connections
 * close, M memberships are added through the server (a mutation, a transaction and an event each),
 * then all N subscribe again with `after:` on new connections and must each get exactly those M
 * events, once each and in order.
 */
async function resume(subscribers: number, events: number) {
  const { server, pid, post, shed, stop } = await benchServer(subscribers);
  let wsRetries = 0;
  let clients: Client[] = [];
  const errors: string[] = [];
  /** N subscriptions over WebSocket (100 per connection), each sending its events to `onEvent(i, event)`. */
  const subscribeAll = (
    variablesOf: (i: number) => Record<string, unknown>,
    onEvent: (i: number, event: Received) => void,
  ) => {
    const opened: Client[] = [];
    for (let c = 0; c * PER_CONNECTION < subscribers; c++) {
      const client = createClient({
        url: `${server.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        // As the fan-out's: an upgrade refused with 503 is tried again, and counted. A connection
        // closed after its subscriptions got events would subscribe again from the same cursor
        // and deliver them twice: the check below would fail the run, as it should.
        retryAttempts: 20,
        shouldRetry: () => true,
        on: { closed: () => void wsRetries++ },
      });
      opened.push(client);
      for (let s = 0; s < PER_CONNECTION && c * PER_CONNECTION + s < subscribers; s++) {
        const i = c * PER_CONNECTION + s;
        client.subscribe<{ membershipChanged: Received }>(
          { query: RESUME_SUBSCRIPTION, variables: variablesOf(i) },
          {
            next: (message) => {
              if (message.errors) errors.push(`subscriber ${i}: ${JSON.stringify(message.errors)}`);
              else onEvent(i, message.data!.membershipChanged);
            },
            error: (error) =>
              errors.push(`subscriber ${i}: ${error instanceof Error ? error.message : JSON.stringify(error)}`),
            complete: () => undefined,
          },
        );
      }
    }
    return opened;
  };
  const failIfErrors = () => {
    if (errors.length > 0) throw new Error(`${errors.length} subscription errors, the first: ${errors[0]}`);
  };
  try {
    const team = (
      await post(`mutation { createTeam(input: { name: "Bench resume", headquarters: "b" }) { team { id } } }`)
    ).createTeam.team.id as string;
    const heroes: string[] = [];
    for (let i = 0; i <= events; i++) {
      heroes.push(
        (
          await post(`mutation ($n: String!) { createHero(input: { name: $n, secretName: "s" }) { hero { id } } }`, {
            n: `Resume hero ${i}`,
          })
        ).createHero.hero.id,
      );
    }
    const join = (hero: string) =>
      post(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
        h: hero,
        t: team,
      });

    // 1. Subscribe; every subscriber's last event is the first hero's membership (retried as the
    // fan-out's warm-up is, until every subscription is live), and its cursor is kept.
    const last: (Received | undefined)[] = new Array(subscribers);
    clients = subscribeAll(
      () => ({ team }),
      (i, event) => (last[i] = event),
    );
    const first = heroes[0]!;
    const haveFirst = () => last.filter((event) => event?.heroId === first && event.kind === 'ADDED').length;
    for (let attempt = 0; ; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (attempt > 0) {
        await post(
          `mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }`,
          { h: first, t: team },
        );
        await until('the REMOVED event', () => last.every((event) => event?.kind === 'REMOVED' || !event), 30_000);
      }
      await join(first);
      try {
        await until(`${subscribers} subscribers to have the first event`, () => haveFirst() === subscribers, 30_000);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    failIfErrors();
    const cursors = last.map((event) => event!.cursor);
    if (new Set(cursors).size !== 1) throw new Error(`the subscribers hold ${new Set(cursors).size} different cursors`);

    // 2. All connections closed, and the server has ended every subscription.
    await Promise.all(clients.map((client) => client.dispose()));
    clients = [];
    await until(
      'the server to end every subscription',
      async () => (await metric(server.url, 'graphql_subscriptions_open')) === 0,
      30_000,
    );

    // 3. M memberships added meanwhile, one mutation each; then the server's own reads of them
    // (its change feed keeps reading the log) are let finish, so that they are not counted below.
    for (const hero of heroes.slice(1)) await join(hero);
    let settled = -1;
    await until(
      "the server's statements to settle",
      async () => {
        const now = await metric(server.url, 'db_statements_total');
        const same = now === settled;
        settled = now;
        return same;
      },
      30_000,
      500,
    );
    const expected = heroes.slice(1);

    // 4. All N subscribe again with `after:` their cursor.
    const received: Received[][] = Array.from({ length: subscribers }, () => []);
    const doneAt: number[] = new Array(subscribers);
    let done = 0;
    let allDone: () => void = () => undefined;
    const caughtUp = new Promise<void>((resolve) => (allDone = resolve));
    const statementsBefore = await statementsByPurpose(server.url);
    const executionsBefore = await metric(server.url, 'graphql_subscription_executions_total');
    const retriesBefore = wsRetries;
    const cpuBefore = processCpuMs(pid)!;
    const sent = performance.now();
    clients = subscribeAll(
      (i) => ({ team, after: cursors[i] }),
      (i, event) => {
        const list = received[i]!;
        list.push(event);
        if (list.length === events) {
          doneAt[i] = performance.now() - sent;
          if (++done === subscribers) allDone();
        }
      },
    );
    const timeout = setTimeout(() => allDone(), 120_000 + subscribers * events * 0.05);
    await caughtUp;
    clearTimeout(timeout);
    const cpuMs = processCpuMs(pid)! - cpuBefore;
    // A little longer, for a delivery beyond the M (an event twice) to show.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const statementsAfter = await statementsByPurpose(server.url);
    const executions = (await metric(server.url, 'graphql_subscription_executions_total')) - executionsBefore;
    failIfErrors();
    if (done < subscribers) throw new Error(`only ${done} of ${subscribers} subscribers caught up`);
    for (let i = 0; i < subscribers; i++) {
      const got = received[i]!;
      const wrong = got.findIndex((event, k) => event.kind !== 'ADDED' || event.heroId !== expected[k]);
      if (got.length !== events || wrong >= 0) {
        throw new Error(
          `subscriber ${i} got ${got.length} events, not ${events}` +
            (wrong >= 0 ? `; event ${wrong} is ${JSON.stringify(got[wrong])}, not ADDED ${expected[wrong]}` : ''),
        );
      }
      if (new Set(got.map((event) => event.cursor)).size !== events)
        throw new Error(`subscriber ${i} got a cursor twice`);
    }
    doneAt.sort((a, b) => a - b);
    const per = (value: number) => value / subscribers;
    return {
      subscribers,
      events,
      first: doneAt[0]!,
      p50: percentile(doneAt, 50),
      last: doneAt.at(-1)!,
      statements: per(
        statementsAfter.request -
          statementsBefore.request +
          statementsAfter.event -
          statementsBefore.event +
          statementsAfter.other -
          statementsBefore.other,
      ),
      requestStatements: per(statementsAfter.request - statementsBefore.request),
      eventStatements: per(statementsAfter.event - statementsBefore.event),
      otherStatements: per(statementsAfter.other - statementsBefore.other),
      executions: per(executions),
      cpuMs,
      mutationsShed: shed.mutations,
      wsRetries: wsRetries - retriesBefore,
    };
  } catch (error) {
    console.error(server.output().slice(-3000));
    throw error;
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await stop();
  }
}

async function main() {
  const source = provenance(commandLine('bench/subscribers.ts'));
  const started = new Date();
  const loadAtStart = loadavg();
  const scenarios = options.scenarios!.split(',').map((name) => name.trim());
  for (const name of scenarios) {
    if (name !== 'fanout' && name !== 'resume') throw new Error(`--scenarios: ${name} is neither fanout nor resume`);
  }
  const countsOf = (fallback: string) => (options.subscribers ?? fallback).split(',').map(Number);
  const counts = scenarios.includes('fanout') ? countsOf('1000,10000') : [];
  const transports = options.transports!.split(',') as Transport[];
  const events = Number(options.events);
  const operations = Number(options.operations);
  const resumeEvents = Number(options['resume-events']);
  if (!Number.isInteger(resumeEvents) || resumeEvents < 1)
    throw new Error('--resume-events must be a positive integer');
  const rows: string[] = [];
  const ms = (value: number) => value.toFixed(1);
  for (const transport of scenarios.includes('fanout') ? transports : []) {
    for (const count of counts) {
      const r = await run(transport, count, events, Math.min(operations, count));
      const row =
        `| ${r.transport === 'ws' ? 'WebSocket' : 'SSE'} | ${r.subscribers} | ${(r.subscribedMs / 1000).toFixed(1)} s ` +
        `| ${ms(r.first.p50)} / ${ms(r.first.max)} | ${ms(r.last.p50)} / ${ms(r.last.max)} ` +
        `| ${ms(r.delivery.p50)} / ${ms(r.delivery.p99)} | ${ms(r.cpuPerEventMs)} ms | ${r.cpuPerDeliveryUs.toFixed(0)} µs ` +
        `| ${r.rssBefore.toFixed(0)} → ${r.rssSubscribed.toFixed(0)} (peak ${r.peakRss.toFixed(0)}) MB | ${r.rssPerSubscriberKb > 0 ? `${r.rssPerSubscriberKb.toFixed(0)} KB` : 'below noise'} ` +
        `| ${r.statementsPerEvent.toFixed(1)} | ${r.executionsPerEvent.toFixed(1)} ` +
        `| ${r.probe.count}: ${ms(r.probe.p50)} / ${ms(r.probe.max)}, ${r.probe.shed} shed | ${r.mutationsShed} | ${r.subscribesShed} |`;
      console.log(row);
      rows.push(row);
    }
  }
  const resumeRows: string[] = [];
  for (const count of scenarios.includes('resume') ? countsOf('1000') : []) {
    const r = await resume(count, resumeEvents);
    const row =
      `| WebSocket | ${r.subscribers} | ${r.events} | ${ms(r.first)} / ${ms(r.p50)} / ${ms(r.last)} ` +
      `| ${r.statements.toFixed(2)} | ${r.requestStatements.toFixed(2)} + ${r.eventStatements.toFixed(2)} + ${r.otherStatements.toFixed(2)} ` +
      `| ${r.executions.toFixed(1)} | ${r.cpuMs.toFixed(0)} ms | ${(r.cpuMs / r.subscribers).toFixed(2)} ms ` +
      `| ${r.mutationsShed} | ${r.wsRetries} |`;
    console.log(row);
    resumeRows.push(row);
  }
  const where = options['database-url'] ? 'PostgreSQL' : 'PGlite in memory';
  const fanout = `Each subscriber follows one team's memberships, selecting \`kind heroId isTraining hero { name } team { name }\`
(${operations === 1 ? 'all the same operation' : `${operations} distinct operations, by alias`}), over WebSocket
(graphql-ws, ${PER_CONNECTION} subscriptions per connection) or Server-Sent Events (a connection each).
${events} memberships are added one at a time, each waited for until every subscriber has it.
Times in ms from sending the mutation (its own round trip included); CPU and RSS of the server
process only (the clients, in the bench's process on the same 2-core machine, compete with it).
Statements and executions per event come from the server's /metrics. The probe sends
\`{ team(id) { name } }\` every ${PROBE_EVERY_MS} ms during each fan-out: its answers' count, p50 / max ms, and
how many were shed (503, MAX_EVENT_LOOP_DELAY_MS at its default, 300 ms); mutations shed were sent again, and subscribes (SSE: the request; WebSocket: the connection, counted once per close, the final closes included).

| transport | subscribers | all subscribed in | first delivery p50 / max | last delivery p50 / max | any delivery p50 / p99 | server CPU per event | per delivery | RSS before → subscribed | RSS per subscriber | statements per event | executions per event | probe during fan-out | mutations shed | subscribes shed |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`;
  const resumed = `## Resume: subscribers that come back with \`after:\`

Each subscriber follows one team's memberships over WebSocket (graphql-ws, ${PER_CONNECTION} subscriptions per
connection), selecting \`cursor kind heroId isTraining hero { name } team { name }\`, and keeps the cursor
of the first event it receives. Then every connection is closed, and once the server has ended every
subscription, ${resumeEvents} memberships are added through the server (\`addHeroToTeam\`, one mutation, one
transaction and one event each). Then every subscriber subscribes again with \`after:\` its cursor, on new
connections. Caught up: the time in ms from sending those subscriptions (connections included) until
the first, the median and the last subscriber had all ${resumeEvents} events; every subscriber's events
were checked to be exactly those, once each, in commit order. Statements per resume: the SQL
statements the server sent from the resubscriptions until the last caught up
(db_statements_total of /metrics, all purposes), per subscriber, and split by purpose: request,
subscription_event (the replay's reads of the log, the events' hero and team) and other (a
subscription over WebSocket is set up outside any request: its cursor's check counts here, as
would a turn of the log's pruning). Executions per resume:
graphql_subscription_executions_total per subscriber. Server CPU: the server process's, over the
same time, in all and per resume.

| transport | subscribers | events missed | caught up: first / p50 / last | statements per resume | request + subscription_event + other | executions per resume | server CPU | per resume | mutations shed | connections retried |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${resumeRows.join('\n')}
`;
  const title = [rows.length ? 'fan-out' : '', resumeRows.length ? 'resumption' : ''].filter(Boolean).join(' and ');
  const report = [
    `# Subscribers: ${title} of change events`,
    '',
    provenanceLines(source, started, loadAtStart).join('\n'),
    '',
    `On ${where}.`,
    ...(rows.length ? [fanout] : []),
    ...(resumeRows.length ? [rows.length ? resumed : `\n${resumed}`] : []),
  ].join('\n');
  const out = options.out ?? path.join(__dirname, 'results', 'subscribers.md');
  writeFileSync(out, report);
  console.log(`\nWritten to ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
