import { type ServerProcess, startServer } from './support/server-process';

// While the process holds too much (past MAX_MEMORY_MB here; past MAX_BUFFERED_BYTES of answers
// unread is the same gate), operations past SMALL_OPERATION_COST get 503 OVERLOADED and small ones
// still run: clients that never read must not deny service to every other client
// (src/http/admission.ts, src/http/node-server.ts). A bound of 1 MB is past whatever a process
// holds. Decided before the database is reached: PGlite's run is enough (jest.config.js).

const small = '{ teams(first: 5) { edges { node { name } } } }'; // cost 16
const big = '{ heroes(first: 100) { edges { node { name } } } }'; // cost 201

async function post(server: ServerProcess, query: string, accept = 'application/json') {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  const body =
    accept === 'application/json'
      ? (JSON.parse(text) as { data?: unknown; errors?: { extensions?: { code?: string } }[] })
      : undefined;
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

async function shed(server: ServerProcess, reason: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(new RegExp(`^http_requests_shed_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

/** A server process past MAX_MEMORY_MB for the tests of a describe block, started and stopped around them. */
function pastMemory(smallOperationCost: string): () => ServerProcess {
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    server = await startServer({
      DATA_DIR: 'memory://',
      MAX_MEMORY_MB: '1',
      SMALL_OPERATION_COST: smallOperationCost,
      MAX_QUEUE_WAIT_MS: '0',
    });
  }, 60_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });
  return () => server!;
}

describe('past MAX_MEMORY_MB, with SMALL_OPERATION_COST=100', () => {
  const server = pastMemory('100');

  it('runs the small operation, and refuses the bigger one with 503 OVERLOADED for memory', async () => {
    const answered = await post(server(), small);
    expect(answered.status).toBe(200);
    expect(answered.body!.errors).toBeUndefined();
    expect(answered.body!.data).toMatchObject({ teams: { edges: expect.any(Array) } });

    const before = await shed(server(), 'memory');
    const refused = await post(server(), big);
    expect(refused).toMatchObject({ status: 503, retryAfter: '1' });
    expect(refused.body!.errors![0]!.extensions!.code).toBe('OVERLOADED');
    expect(await shed(server(), 'memory')).toBe(before + 1);
  });

  it('refuses a new event stream, whatever it asks for: what it holds lasts', async () => {
    const stream = await post(server(), 'subscription { membershipChanged { action } }', 'text/event-stream');
    expect(stream).toMatchObject({ status: 503, retryAfter: '1' });
  });
});

describe('past MAX_MEMORY_MB, with SMALL_OPERATION_COST=0', () => {
  const server = pastMemory('0');

  it('refuses every operation', async () => {
    const refused = await post(server(), small);
    expect(refused).toMatchObject({ status: 503, retryAfter: '1' });
    expect(refused.body!.errors![0]!.extensions!.code).toBe('OVERLOADED');
  });
});
