import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { hsToken, secret, startAccessServer, stopServer } from './support/access';
import { resetDatabase } from './support/factories';
import { subscribeSse } from './support/sse';
import type { ServerProcess } from './support/server-process';

// Subscriptions over WebSocket (graphql-ws, protocol graphql-transport-ws) on a server process of
// its own, which checks tokens (ANONYMOUS_ROLE=none: a connection must bring one) and has small
// bounds to reach: two subscriptions per connection, three per process, a ping every 300 ms. The
// last test stops it.

let server: ServerProcess;
let wsUrl: string;
let viewer: string;
let editor: string;
const clients: Client[] = [];

beforeAll(async () => {
  await resetDatabase();
  server = await startAccessServer({
    JWT_SECRET: secret,
    ANONYMOUS_ROLE: 'none',
    MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
    MAX_SUBSCRIPTIONS: '3',
    WS_KEEP_ALIVE_MS: '300',
  });
  wsUrl = `${server.url.replace('http', 'ws')}/graphql`;
  [viewer, editor] = await Promise.all([hsToken(['viewer']), hsToken(['editor'])]);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await stopServer(server);
});

/** Writes through the server, over HTTP. */
async function post(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${editor}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

/** The server's data, made through it: on PGlite the test's own database is another one. */
async function makeData() {
  const made = await post(
    `mutation { a: createTeam(input: { name: "Team A", headquarters: "a" }) { team { id } }
                b: createHero(input: { name: "Hero A", secretName: "a" }) { hero { id } } }`,
  );
  return { team: made.a.team.id as string, hero: made.b.hero.id as string };
}

function client(connectionParams: Record<string, unknown>): Client {
  const made = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
  clients.push(made);
  return made;
}

/** A raw connection: the close code and reason the server ends it with, after `init` is sent. */
function closeOf(init: Record<string, unknown> | null, options: WebSocket.ClientOptions = {}) {
  return new Promise<{ code: number; reason: string }>((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', options);
    socket.on('open', () => {
      if (init) socket.send(JSON.stringify({ type: 'connection_init', payload: init }));
    });
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on('error', reject);
  });
}

const Watch = `subscription Watch($teamId: ID) { membershipChanged(teamId: $teamId) { kind heroId team { name } } }`;

it('subscribes with the token of connection_init, receives events, and completes', async () => {
  const { team, hero } = await makeData();
  const ws = client({ Authorization: `Bearer ${viewer}` });
  const events = ws.iterate<{ membershipChanged: { kind: string; heroId: string; team: { name: string } } }>({
    query: Watch,
    variables: { teamId: team },
  });
  // The subscription is live once the server has it: wait for its first ping round.
  const first = events.next();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await post(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
    h: hero,
    t: team,
  });
  expect((await first).value).toEqual({
    data: { membershipChanged: { kind: 'ADDED', heroId: hero, team: { name: 'Team A' } } },
  });
  await events.return?.();
  expect(server.output()).not.toMatch(/Unhandled|uncaught/i);
});

it('refuses a connection without a valid token (4403), and queries over the socket', async () => {
  expect(await closeOf({ Authorization: 'Bearer not.a.token' })).toEqual({
    code: 4403,
    reason: expect.stringContaining('Forbidden: The token'),
  });
  expect((await closeOf({})).code).toBe(4403);
  const expired = await hsToken(['viewer'], { exp: Math.floor(Date.now() / 1000) - 60 });
  expect(await closeOf({ authorization: `Bearer ${expired}` })).toEqual({
    code: 4403,
    reason: 'Forbidden: The token has expired',
  });

  const ws = client({ authorization: `Bearer ${viewer}` });
  await expect(ws.iterate({ query: '{ heroes(first: 1) { totalCount } }' }).next()).rejects.toEqual([
    expect.objectContaining({
      message: 'Only subscriptions are served over WebSocket: send queries and mutations over HTTP',
      extensions: { code: 'BAD_REQUEST' },
    }),
  ]);
});

/** Resolves with an iterator's first outcome, or 'pending' after `ms`. */
async function outcome(iterator: AsyncIterator<unknown>, ms = 400): Promise<unknown> {
  return Promise.race([
    iterator.next().then(
      (result) => result,
      (errors: unknown) => errors,
    ),
    new Promise((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);
}

/** The code of a refusal: errors the iterator threw (refused before execution), or those of a result. */
function codeOf(outcome: unknown): string | undefined {
  const errors = Array.isArray(outcome) ? outcome : (outcome as { value?: { errors?: unknown[] } }).value?.errors;
  return (errors as { extensions?: { code?: string } }[] | undefined)?.[0]?.extensions?.code;
}

let afterCaps: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await afterCaps?.();
  afterCaps = undefined;
});

it('closes a connection when its token expires (4403), and ends a Server-Sent Events stream with UNAUTHENTICATED', async () => {
  const { team, hero } = await makeData();
  const shortLived = await hsToken(['viewer'], { exp: Math.floor(Date.now() / 1000) + 2 });
  const closed = new Promise<{ code: number; reason: string }>((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${shortLived}` } })),
    );
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        socket.send(
          JSON.stringify({ id: '1', type: 'subscribe', payload: { query: Watch, variables: { teamId: team } } }),
        );
      }
    });
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on('error', reject);
  });
  const stream = await subscribeSse(
    fetch,
    `${server.url}/graphql`,
    Watch,
    { teamId: team },
    {
      authorization: `Bearer ${shortLived}`,
    },
  );
  expect(stream.status).toBe(200);
  expect(await closed).toEqual({ code: 4403, reason: 'Forbidden: the token has expired' });
  const last = await stream.next(5_000);
  expect(last?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(await stream.next(5_000)).toBeNull();
  expect(stream.completed).toBe(true);
  // A token valid for an hour keeps its connection, past the other's expiry.
  const ws = client({ Authorization: `Bearer ${viewer}` });
  const events = ws.iterate<{ membershipChanged: { kind: string; heroId: string } }>({
    query: Watch,
    variables: { teamId: team },
  });
  const next = events.next();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await post(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
    h: hero,
    t: team,
  });
  expect((await next).value?.data?.membershipChanged).toMatchObject({ kind: 'ADDED', heroId: hero });
  await events.return?.();
}, 20_000);

it('caps subscriptions per connection (MAX_SUBSCRIPTIONS_PER_CONNECTION) and per process (MAX_SUBSCRIPTIONS), with codes', async () => {
  const a = client({ Authorization: `Bearer ${viewer}` });
  const b = client({ Authorization: `Bearer ${viewer}` });
  const open: AsyncIterableIterator<unknown>[] = [];
  afterCaps = () => Promise.all(open.map((iterator) => iterator.return?.()));
  open.push(a.iterate({ query: Watch }), a.iterate({ query: Watch }));
  for (const iterator of open) expect(await outcome(iterator)).toBe('pending');
  expect(codeOf(await outcome(a.iterate({ query: Watch })))).toBe('MAX_SUBSCRIPTIONS_PER_CONNECTION_EXCEEDED');
  open.push(b.iterate({ query: Watch }));
  expect(await outcome(open[2]!)).toBe('pending');
  // Three open: the process is full, over WebSocket and over SSE alike.
  expect(codeOf(await outcome(b.iterate({ query: Watch })))).toBe('MAX_SUBSCRIPTIONS_EXCEEDED');
  const sse = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${viewer}` },
    body: JSON.stringify({ query: Watch }),
  });
  expect(await sse.text()).toContain('MAX_SUBSCRIPTIONS_EXCEEDED');
  await Promise.all(open.map((iterator) => iterator.return?.()));
  // Room again once they ended.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const again = b.iterate({ query: Watch });
  expect(await outcome(again)).toBe('pending');
  await again.return?.();
});

it('pings connections and closes one that does not answer; one that answers stays', async () => {
  const connect = (autoPong: boolean) =>
    new Promise<{ socket: WebSocket; closed: Promise<number> }>((resolve, reject) => {
      const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { autoPong });
      const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
      socket.on('open', () =>
        socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${viewer}` } })),
      );
      socket.on('message', (data) => {
        if (JSON.parse(data.toString()).type === 'connection_ack') resolve({ socket, closed });
      });
      socket.on('error', reject);
    });
  const [dead, alive] = await Promise.all([connect(false), connect(true)]);
  const started = Date.now();
  expect(await dead.closed).toBe(1006);
  expect(Date.now() - started).toBeLessThan(3000);
  await new Promise((resolve) => setTimeout(resolve, 700));
  expect(alive.socket.readyState).toBe(WebSocket.OPEN);
  alive.socket.close();
});

it('on SIGTERM, completes open subscriptions on both transports, closes the sockets (1001), and exits 0', async () => {
  let closeCode = 0;
  const ws = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${viewer}` },
    retryAttempts: 0,
    // Not lazy: the client keeps its connection when its subscriptions end, so the server closes it.
    lazy: false,
    onNonLazyError: () => undefined,
    on: { closed: (event) => void (closeCode = (event as { code: number }).code) },
  });
  clients.push(ws);
  const events = ws.iterate({ query: Watch });
  const next = events.next();
  const sse = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${viewer}` },
    body: JSON.stringify({ query: Watch }),
  });
  expect(sse.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  server.child.kill('SIGTERM');
  expect(await next).toEqual({ done: true, value: undefined });
  const text = await sse.text();
  expect(text).toContain('event: complete');
  expect(await server.exited).toBe(0);
  // Well before SHUTDOWN_GRACE_MS (10 s): nothing waited for the streams' connections to time out.
  expect(Date.now() - started).toBeLessThan(5000);
  expect(closeCode).toBe(1001);
});
