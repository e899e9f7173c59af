import { onQuery } from '../src/db';
import { captureLog, logger } from '../src/ops/logger';
import { yoga } from '../src/graphql/yoga';
import { makeHeroes, makeTeams, resetDatabase } from './support/factories';
import { prisma } from '../src/db';
import { hsToken, secret } from './support/access';
import { type ServerProcess, startServer } from './support/server-process';
import { describeOnPGlite } from './support/postgres-only';

// The log line of each GraphQL request, read from the logger's stream (never printed), and the
// production server's stdout.

type Line = Record<string, unknown> & { msg: string; level: string };

let lines: Line[] = [];
let release: () => void;
const level = logger.level;

beforeAll(async () => {
  release = captureLog({ write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  logger.level = 'info';
  await resetDatabase();
  const [teamId] = await makeTeams(1);
  const heroIds = await makeHeroes(3);
  await prisma.heroTeamLink.createMany({ data: heroIds.map((heroId) => ({ heroId, teamId: teamId! })) });
});

afterAll(() => {
  logger.level = level;
  release();
});

beforeEach(() => {
  lines = [];
});

const query = 'query LogHeroes { heroes(first: 5) { edges { node { name teams { totalCount } } } } }';

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, requestId: response.headers.get('x-request-id'), body: await response.json() };
}

const requestLines = () => lines.filter((line) => line.msg === 'request');

it('writes one line per request: id, operation, duration, status, statements, codes, role, traceparent', async () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const response = await post({ query }, { 'x-request-id': 'req-42.a:b', traceparent });
  expect(response.status).toBe(200);
  expect(response.requestId).toBe('req-42.a:b');
  expect(requestLines()).toEqual([
    {
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      msg: 'request',
      requestId: 'req-42.a:b',
      operation: 'LogHeroes',
      type: 'query',
      status: 200,
      outcome: 'success',
      durationMs: expect.any(Number),
      statements: 2,
      errors: [],
      // Anonymous callers are admin in development.
      role: 'admin',
      traceparent,
    },
  ]);
});

it('logs a refused token as a 401 without the token or its header', async () => {
  const response = await post({ query }, { 'x-request-id': 'req-43', authorization: 'Bearer secret-token-xyz' });
  expect(response.status).toBe(401);
  expect(requestLines()).toEqual([
    expect.objectContaining({ requestId: 'req-43', status: 401, errors: ['UNAUTHENTICATED'], role: null }),
  ]);
  expect(JSON.stringify(lines)).not.toContain('secret-token-xyz');
  expect(JSON.stringify(lines)).not.toMatch(/authorization/i);
});

it('makes its own request id when the client sends none or an unsafe one, and drops a malformed traceparent', async () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const none = await post({ query });
  const unsafe = await post({ query }, { 'x-request-id': 'evil id\u0007"}', traceparent: '00-abc-01' });
  const long = await post(
    { query },
    { 'x-request-id': 'a'.repeat(129), traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
  );
  for (const response of [none, unsafe, long]) expect(response.requestId).toMatch(uuid);
  expect(new Set([none.requestId, unsafe.requestId, long.requestId]).size).toBe(3);
  expect(requestLines().map((line) => [line.requestId, line.traceparent])).toEqual([
    [none.requestId, null],
    [unsafe.requestId, null],
    [long.requestId, null],
  ]);
});

it('gives the error codes of the answer', async () => {
  await post({ query: '{ hero(id: "not-an-id") { name } }' });
  await post({ query: '{ nope }' });
  expect(requestLines().map((line) => [line.errors, line.outcome, line.type, line.statements])).toEqual([
    [['BAD_USER_INPUT'], 'error', 'query', 0],
    [['GRAPHQL_VALIDATION_FAILED'], 'error', 'query', 0],
  ]);
});

it('logs an unexpected error once, with its stack, under the request id', async () => {
  const stop = onQuery(() => {
    throw new Error('the disk is on fire');
  });
  let response;
  try {
    response = await post(
      { query: '{ heroes(first: 2) { edges { node { name } } } }' },
      { 'x-request-id': 'req-fire' },
    );
  } finally {
    stop();
  }
  expect(response.body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.' })]);
  expect(JSON.stringify(response.body)).not.toContain('fire');
  const errors = lines.filter((line) => line.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ msg: 'Unexpected error', requestId: 'req-fire' });
  const err = errors[0]!.err as { message: string; stack: string };
  expect(err.message).toContain('the disk is on fire');
  expect(err.stack).toMatch(/\n\s+at /);
  expect(requestLines()).toEqual([
    expect.objectContaining({ requestId: 'req-fire', errors: ['INTERNAL_SERVER_ERROR'], outcome: 'unexpected' }),
  ]);
});

it('writes no line for health checks and metrics', async () => {
  await (await yoga.fetch('http://yoga/live')).text();
  await (await yoga.fetch('http://yoga/metrics')).text();
  expect(requestLines()).toEqual([]);
});

// The production server's own output: JSON lines on stdout. PGlite's run is enough for it.

describeOnPGlite('in production', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({
      DATA_DIR: 'memory://',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      JWT_SECRET: secret,
    });
  }, 60_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  it('prints one JSON object per line, the request id echoed, the role, no token', async () => {
    const token = await hsToken(['editor']);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'prod-1',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: '{ teams { totalCount } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('prod-1');
    await response.json();
    let line: Line | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const parsed = server
        .output()
        .split('\n')
        .filter((text) => text.trim() !== '')
        .map((text) => JSON.parse(text) as Line);
      expect(parsed[0]).toMatchObject({ level: 'info', msg: expect.stringContaining('Applied migrations') });
      line = parsed.find((entry) => entry.requestId === 'prod-1');
    }
    expect(line).toMatchObject({
      msg: 'request',
      status: 200,
      statements: 1,
      operation: null,
      type: 'query',
      role: 'editor',
    });
    expect(server.output()).not.toContain(token);
    expect(server.output()).not.toContain(token.split('.')[2]);
  });
});
