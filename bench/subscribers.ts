import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startServer } from '../test/support/server-process';
import { memoryMb, processCpuMs } from './proc';
import { percentile } from './stats';

// Fan-out of change events to many subscribers (README, "Realtime"): a server process with N
// subscriptions over WebSocket (100 per connection) to one team's memberships, each selecting the
// event's hero and team; then M memberships added one at a time, each waited for until every
// subscriber has it. Reports per event the time from sending the mutation to the first and the last
// subscriber's delivery, the server's CPU per event and per delivery, and its RSS.
//
//   npx tsx bench/subscribers.ts --subscribers 1000,10000 --events 20
//   npx tsx bench/subscribers.ts --database-url postgresql://postgres@127.0.0.1:5432/heroes_bench_subs
//
// PGlite in memory by default (nothing to set up); the client runs in this process, on the same
// machine: its own work (parsing N messages per event) competes with the server's.

const { values: options } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000,10000' },
    events: { type: 'string', default: '20' },
    'database-url': { type: 'string' },
    out: { type: 'string', default: path.join(__dirname, 'results', 'subscribers.md') },
  },
});

const PER_CONNECTION = 100;
const Subscription = `subscription Watch($team: ID!) {
  membershipChanged(teamId: $team) { kind heroId isTraining hero { name } team { name } }
}`;

const rssMb = (pid: number) => Math.round(memoryMb(pid)?.current ?? 0);

async function run(subscribers: number, events: number) {
  const database: Record<string, string> = options['database-url']
    ? { DATABASE_URL: options['database-url'] }
    : { DATA_DIR: 'memory://' };
  const server = await startServer({
    ...database,
    NODE_ENV: 'development',
    ANONYMOUS_ROLE: 'admin',
    LOG_LEVEL: 'warn',
    MAX_SUBSCRIPTIONS: String(subscribers + 10),
    MAX_SUBSCRIPTIONS_PER_CONNECTION: String(PER_CONNECTION),
    MAX_CONNECTIONS: String(Math.ceil(subscribers / PER_CONNECTION) + 100),
    MAX_MEMORY_MB: '0',
    // The fan-out of an event to 10,000 subscribers keeps the loop busy past 300 ms: the
    // mutations that make the next events would be shed (503) for it.
    MAX_EVENT_LOOP_DELAY_MS: '0',
  });
  const pid = server.child.pid!;
  const post = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const clients: Client[] = [];
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
    const openedAt = performance.now();
    for (let c = 0; c * PER_CONNECTION < subscribers; c++) {
      const client = createClient({
        url: `${server.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      });
      clients.push(client);
      for (let s = 0; s < PER_CONNECTION && c * PER_CONNECTION + s < subscribers; s++) {
        client.subscribe<{ membershipChanged: { heroId: string } }>(
          { query: Subscription, variables: { team } },
          {
            next: (message) => arrived(message.data!.membershipChanged.heroId),
            error: (error) => console.error('subscription error', error),
            complete: () => undefined,
          },
        );
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
    // Warm-up: every subscription is live once all have the first event (retried until they are).
    const warm = heroes[0]!;
    for (let attempt = 0; ; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (attempt === 0) await join(warm);
      else {
        await post(
          `mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }`,
          {
            h: warm,
            t: team,
          },
        );
        arrivals.delete(warm);
        await join(warm);
      }
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
    const cpuBefore = processCpuMs(pid)!;
    let peakRss = rssSubscribed;
    for (const hero of heroes.slice(1)) {
      const sent = performance.now();
      await join(hero);
      await all(hero, 60_000);
      const times = arrivals.get(hero)!.map((at) => at - sent);
      times.sort((a, b) => a - b);
      firsts.push(times[0]!);
      lasts.push(times.at(-1)!);
      deliveries.push(...times);
      peakRss = Math.max(peakRss, rssMb(pid));
    }
    const cpuMs = processCpuMs(pid)! - cpuBefore;
    for (const list of [firsts, lasts, deliveries]) list.sort((a, b) => a - b);
    return {
      subscribers,
      events,
      subscribedMs,
      rssSubscribed,
      peakRss,
      cpuPerEventMs: cpuMs / events,
      cpuPerDeliveryUs: (cpuMs * 1000) / (events * subscribers),
      first: { p50: percentile(firsts, 50), max: firsts.at(-1)! },
      last: { p50: percentile(lasts, 50), p95: percentile(lasts, 95), max: lasts.at(-1)! },
      delivery: { p50: percentile(deliveries, 50), p99: percentile(deliveries, 99) },
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

async function main() {
  const counts = options.subscribers!.split(',').map(Number);
  const events = Number(options.events);
  const rows: string[] = [];
  for (const count of counts) {
    const r = await run(count, events);
    const ms = (value: number) => value.toFixed(1);
    const row = `| ${r.subscribers} | ${(r.subscribedMs / 1000).toFixed(1)} s | ${r.rssSubscribed} / ${r.peakRss} MB | ${ms(r.first.p50)} / ${ms(r.first.max)} | ${ms(r.last.p50)} / ${ms(r.last.p95)} / ${ms(r.last.max)} | ${ms(r.delivery.p50)} / ${ms(r.delivery.p99)} | ${ms(r.cpuPerEventMs)} ms | ${r.cpuPerDeliveryUs.toFixed(0)} µs |`;
    console.log(row);
    rows.push(row);
  }
  const where = options['database-url'] ? 'PostgreSQL' : 'PGlite in memory';
  const report = `# Subscribers: fan-out of change events

\`npx tsx bench/subscribers.ts --subscribers ${options.subscribers} --events ${events}\` on ${where}, ${new Date().toISOString()}.
Each subscriber follows one team's memberships over WebSocket (100 per connection), selecting
\`kind heroId isTraining hero { name } team { name }\`; ${events} memberships are added one at a time, each waited for
until every subscriber has it. Times in ms from sending the mutation (its own round trip included); CPU of
the server process only (the client, on the same 2-core machine, competes with it).

| subscribers | all subscribed in | RSS subscribed / peak | first delivery p50 / max | last delivery p50 / p95 / max | any delivery p50 / p99 | server CPU per event | per delivery |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`;
  writeFileSync(options.out!, report);
  console.log(`\nWritten to ${options.out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
