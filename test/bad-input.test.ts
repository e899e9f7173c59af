import { complexityFromQuery } from '@pothos/plugin-complexity';
import { limits } from '../src/config';
import { prisma } from '../src/db';
import { ID_LOOKUP_COST } from '../src/graphql/builder';
import { schema } from '../src/schema';
import { resetDatabase, tableCounts, teamId } from './support/factories';
import { recordSql } from './support/graphql';
import { hub } from '../src/realtime';
import { yoga } from '../src/graphql/yoga';

// Hostile and malformed requests: each gets the right status and code, leaks nothing internal,
// and leaves the database as it was.

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  text: string;
}

async function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await yoga.fetch('http://yoga/graphql', { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text } as Answer;
}

const send = (query: string, variables?: Record<string, unknown>) => post(JSON.stringify({ query, variables }));

const codesOf = (answer: Answer) => (answer.body.errors ?? []).map((error) => error.extensions?.code);

function expectNoLeak(answer: Answer) {
  for (const internal of ['stack', 'prisma', 'SELECT', 'node_modules', '/work/', '.ts:', 'PrismaClient']) {
    expect(answer.text).not.toContain(internal);
  }
}

/** Alternates teams and heroes through the link; each hop is three levels (connection, edges, node). */
const linkField = (hop: number) => (hop % 2 === 0 ? 'teams' : 'heroes');

/** A cycle through the link `hops` connections deep, asking for each page with `first` (or not). */
function cycle(hops: number, first?: number): string {
  const args = first === undefined ? '' : `(first: ${first})`;
  let selection = 'name';
  for (let hop = hops - 1; hop >= 0; hop--) selection = `${linkField(hop)}${args} { edges { node { ${selection} } } }`;
  return `{ ${selection} }`;
}

/** A query exactly `depth` fields deep (as GraphQL Armor counts), with small pages. */
function queryOfDepth(depth: number): string {
  const hops = Math.floor((depth - 1) / 3);
  const tails = [
    'name',
    `${linkField(hops)}(first: 1) { totalCount }`,
    `${linkField(hops)}(first: 1) { pageInfo { hasNextPage } }`,
  ];
  let selection = tails[depth - 1 - hops * 3]!;
  for (let hop = hops - 1; hop >= 0; hop--)
    selection = `${linkField(hop)}(first: 2) { edges { node { ${selection} } } }`;
  return `{ ${selection} }`;
}

let before: Awaited<ReturnType<typeof tableCounts>>;

beforeAll(async () => {
  await resetDatabase({ seed: true });
  before = await tableCounts();
});

afterEach(async () => {
  expect(await tableCounts()).toEqual(before);
});

describe('malformed requests', () => {
  it.each([
    ['malformed JSON', '{"query": "{ heroes { edges '],
    ['an empty body', ''],
    ['a JSON array (batching is off)', '[{"query":"{ __typename }"},{"query":"{ __typename }"}]'],
  ])('%s: 400 BAD_REQUEST', async (_what, body) => {
    const answer = await post(body);
    expect(answer.status).toBe(400);
    expect(codesOf(answer)).toEqual(['BAD_REQUEST']);
    expectNoLeak(answer);
  });

  it('a form-like content type without the CSRF header: 403', async () => {
    const answer = await post('query={heroes{totalCount}}', { 'content-type': 'text/plain' });
    expect(answer.status).toBe(403);
    expect(codesOf(answer)).toEqual(['BAD_REQUEST']);
  });

  it('a body over the size limit: 413', async () => {
    const answer = await post(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(limits.bodyBytes)}` }));
    expect(answer.status).toBe(413);
    expect(codesOf(answer)).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
  });

  it('a syntax error: GRAPHQL_PARSE_FAILED', async () => {
    const answer = await send('{ heroes { edges { node { name } }');
    expect(codesOf(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('fragment cycles: GRAPHQL_VALIDATION_FAILED', async () => {
    const answer = await send(
      'fragment A on Hero { ...B } fragment B on Hero { ...A } { heroes { edges { node { ...A } } } }',
    );
    expect(codesOf(answer)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(answer.body.data).toBeUndefined();
  });
});

describe('operation limits', () => {
  it(`a query of 2,000 tokens: MAX_TOKENS_EXCEEDED (limit ${limits.tokens})`, async () => {
    const answer = await send(`{ ${Array.from({ length: 1000 }, () => '__typename').join(' ')} }`);
    expect(codesOf(answer)).toEqual(['MAX_TOKENS_EXCEEDED']);
    expect(answer.body.errors?.[0]?.message).toContain(`${limits.tokens}`);
  });

  it(`16 aliases: MAX_ALIASES_EXCEEDED (limit ${limits.aliases})`, async () => {
    const fields = Array.from({ length: 16 }, (_, i) => `a${i}: heroes(first: 1) { totalCount }`);
    const answer = await send(`{ ${fields.join(' ')} }`);
    expect(codesOf(answer)).toEqual(['MAX_ALIASES_EXCEEDED']);
    expect(answer.body.errors?.[0]?.message).toContain('Aliases limit of 15');
    const allowed = await send(`{ ${fields.slice(1).join(' ')} }`);
    expect(allowed.body.errors).toBeUndefined();
  });

  it(`${limits.directives + 1} directives: MAX_DIRECTIVES_EXCEEDED (limit ${limits.directives})`, async () => {
    const spreads = (n: number) => `{ ${'... @include(if: true) { __typename } '.repeat(n)}}`;
    expect(codesOf(await send(spreads(limits.directives + 1)))).toEqual(['MAX_DIRECTIVES_EXCEEDED']);
    expect((await send(spreads(limits.directives))).body.errors).toBeUndefined();
  });

  it(`depth ${limits.depth} passes and ${limits.depth + 1} is MAX_DEPTH_EXCEEDED`, async () => {
    const atLimit = await send(queryOfDepth(limits.depth));
    expect(atLimit.body.errors).toBeUndefined();
    const over = await send(queryOfDepth(limits.depth + 1));
    expect(codesOf(over)).toEqual(['MAX_DEPTH_EXCEEDED']);
    expect(over.body.errors?.[0]?.message).toBe(
      `Query depth limit of ${limits.depth} exceeded, found ${limits.depth + 1}.`,
    );
  });

  it('a five-level cycle without first is refused before it runs, and its cost alone would refuse it', async () => {
    const query = cycle(5);
    expect(codesOf(await send(query))).toEqual(['MAX_DEPTH_EXCEEDED']);
    // Without `first`, every connection counts its default page size: no hole for unbounded lists.
    expect(complexityFromQuery(query, { schema }).complexity).toBeGreaterThan(limits.complexity);
  });

  it('a cycle within the depth limit but with large pages is refused by cost before it runs', async () => {
    const { statements, result } = await recordSql(() => send(cycle(3, 100)));
    expect(codesOf(result)).toEqual(['MAX_COMPLEXITY_EXCEEDED']);
    expect(result.body.errors?.[0]?.message).toContain(`limit of ${limits.complexity}`);
    expect(statements).toEqual([]);
  });

  it('the cost counts page sizes given as variables, not only literals', async () => {
    const query = `query ($n: Int) { teams(first: $n) { edges { node { heroes(first: $n) { edges { node {
      teams(first: $n) { edges { node { heroes(first: $n) { totalCount } } } } } } } } } } }`;
    expect(codesOf(await send(query, { n: 100 }))).toEqual(['MAX_COMPLEXITY_EXCEEDED']);
    expect((await send(query, { n: 2 })).body.errors).toBeUndefined();
  });

  it('each id of nodes(ids:) costs its lookup besides its object', () => {
    const ids = (count: number) => Array.from({ length: count }, (_, i) => teamId(i + 1));
    const query = 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }';
    const cost = (count: number) => complexityFromQuery(query, { schema, variables: { ids: ids(count) } }).complexity;
    // One for the field, then per id: its object's one field and its lookup.
    expect(cost(100) - cost(0)).toBe(100 * (1 + ID_LOOKUP_COST));
  });

  it.each([
    ['nodes(ids:)', 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }'],
    ['a filter', 'query ($ids: [ID!]) { heroes(where: { ids: $ids }) { totalCount } }'],
    [
      'a filter through the link',
      'query ($ids: [ID!]) { heroes(where: { teams: { some: { team: { ids: $ids } } } }) { totalCount } }',
    ],
  ])(`${limits.ids + 1} ids in %s: MAX_IDS_EXCEEDED before any SQL; ${limits.ids} pass`, async (_what, query) => {
    const ids = (count: number) => Array.from({ length: count }, (_, i) => teamId(i + 1));
    const heroIds = (count: number) =>
      ids(count).map((id) =>
        Buffer.from(Buffer.from(id, 'base64').toString().replace('Team', 'Hero')).toString('base64'),
      );
    const list = query.includes('team:') || query.includes('nodes') ? ids : heroIds;
    const refused = await recordSql(() => send(query, { ids: list(limits.ids + 1) }));
    expect(codesOf(refused.result)).toContain('MAX_IDS_EXCEEDED');
    expect(refused.result.body.errors?.[0]?.message).toContain(`at most ${limits.ids}`);
    expect(refused.statements).toEqual([]);
    expect((await send(query, { ids: list(limits.ids) })).body.errors).toBeUndefined();
  });

  it.each([
    ['a literal', '{ heroes(first: 2147483647) { totalCount } }', undefined],
    ['a variable', 'query ($n: Int) { heroes(first: $n) { totalCount } }', { n: 2147483647 }],
  ])('first: 2147483647 as %s: BAD_USER_INPUT naming the maximum', async (_what, query, variables) => {
    const answer = await send(query, variables);
    expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.body.errors?.[0]?.message).toContain('at most 100');
  });
});

describe('bad values', () => {
  it.each([
    ['a string for an Int', 'query ($n: Int) { heroes(first: $n) { totalCount } }', { n: 'ten' }],
    ['an Int overflow in a variable', 'query ($n: Int) { heroes(first: $n) { totalCount } }', { n: 2 ** 31 }],
    ['a missing required variable', 'query ($id: ID!) { hero(id: $id) { name } }', {}],
    ['an object for an ID', 'query ($id: ID!) { hero(id: $id) { name } }', { id: { id: 1 } }],
  ])(
    '%s: BAD_USER_INPUT, 400 as application/graphql-response+json, 200 as application/json',
    async (_what, query, variables) => {
      const body = JSON.stringify({ query, variables });
      const answer = await post(body, {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
      });
      expect(answer.status).toBe(400);
      expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
      // GraphQL over HTTP: variables that fail coercion are answered 200 with application/json (the
      // legacy type, which a request without an Accept header gets too).
      const legacyHeaders: Record<string, string>[] = [{ accept: 'application/json' }, {}];
      for (const accept of legacyHeaders) {
        const legacy = await post(body, { 'content-type': 'application/json', ...accept });
        expect(legacy.status).toBe(200);
        expect(codesOf(legacy)).toEqual(['BAD_USER_INPUT']);
      }
    },
  );

  it('an Int overflow in a literal: GRAPHQL_VALIDATION_FAILED', async () => {
    expect(codesOf(await send('{ heroes(first: 9999999999) { totalCount } }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it.each([
    ['a team id for a hero', teamId(1)],
    ['a malformed id', '!!!'],
    ['a forged id of an unknown type', Buffer.from('User:1').toString('base64')],
    ['a forged id with SQL in it', Buffer.from('Hero:1; DROP TABLE "Hero"').toString('base64')],
    ['a forged id with a huge number', Buffer.from('Hero:99999999999999999999').toString('base64')],
    ['a NUL byte in an id', 'SGVybzox\u0000'],
  ])('%s: BAD_USER_INPUT', async (_what, id) => {
    const answer = await send('mutation ($id: ID!) { deleteHero(input: { id: $id }) { deletedId } }', { id });
    expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
    expectNoLeak(answer);
  });

  it('NUL bytes in text: BAD_USER_INPUT before the database', async () => {
    for (const query of [
      'mutation ($s: String!) { createTeam(input: { name: $s, headquarters: "x" }) { team { id } } }',
      'query ($s: String!) { heroes(where: { nameContains: $s }) { totalCount } }',
      'mutation ($s: String!) { updateHero(input: { id: "SGVybzox", secretName: $s }) { hero { id } } }',
    ]) {
      const answer = await send(query, { s: 'a\u0000b' });
      expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.body.errors?.[0]?.message).toContain('NUL');
    }
  });

  it('SQL-looking text is only text', async () => {
    const answer = await send('query ($s: String!) { heroes(where: { nameContains: $s }) { totalCount } }', {
      s: `'; DROP TABLE "Hero"; --`,
    });
    expect(answer.body).toEqual({ data: { heroes: { totalCount: 0 } } });
  });
});

describe('forged cursors, on every connection', () => {
  beforeAll(() => resetDatabase({ seed: true }));

  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const forged = [
    ['an id beyond int4', ['ID', 99999999999], 'ID'],
    ['a negative id', ['ID', -1], 'ID'],
    ['an age beyond int4', ['AGE', 5, 99999999999], 'AGE'],
    ['a NUL in a name', ['NAME', 5, 'a\u0000b'], 'NAME'],
    ['a lone surrogate in a name', ['NAME', 5, 'a\ud800b'], 'NAME'],
    ['a fractional id', ['NAME', 1.5, 'a'], 'NAME'],
  ] as const;
  const connections = [
    [
      'heroes',
      (order: string) => `query ($c: String) { heroes(after: $c, orderBy: { field: ${order} }) { edges { cursor } } }`,
    ],
    [
      'teams',
      (order: string) =>
        `query ($c: String) { teams(after: $c, orderBy: { field: ${order === 'AGE' ? 'NAME' : order} }) { edges { cursor } } }`,
    ],
    [
      'Team.heroes',
      (order: string) =>
        `query ($c: String) { team(id: "VGVhbTox") { heroes(after: $c, orderBy: { field: ${order} }) { edges { cursor } } } }`,
    ],
    [
      'Hero.teams',
      (order: string) =>
        `query ($c: String) { hero(id: "SGVybzox") { teams(before: $c, orderBy: { field: ${order === 'AGE' ? 'NAME' : order} }) { edges { cursor } } } }`,
    ],
  ] as const;

  it.each(connections)(
    '%s: BAD_USER_INPUT for each, plain and base64url, never an internal error',
    async (_, query) => {
      for (const [, cursor, order] of forged) {
        for (const encoded of [JSON.stringify(cursor), base64url(cursor)]) {
          const answer = await send(query(order), { c: encoded });
          expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
          expectNoLeak(answer);
        }
      }
    },
  );
});

describe('requests this server does not serve', () => {
  it('a subscription asked for as a single answer: 406 NOT_ACCEPTABLE (it needs a stream), nothing subscribed', async () => {
    const body = JSON.stringify({ query: 'subscription { membershipChanged { kind } }' });
    const answer = await post(body, {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
    });
    expect(answer.status).toBe(406);
    expect(codesOf(answer)).toEqual(['NOT_ACCEPTABLE']);
    expect(answer.body.errors?.[0]?.message).toContain('text/event-stream');
    const legacy = await post(body, { 'content-type': 'application/json', accept: 'application/json' });
    expect(codesOf(legacy)).toEqual(['NOT_ACCEPTABLE']);
    expect(hub.size).toBe(0);
  });

  it('text with a lone surrogate (valid JSON, not Unicode): BAD_USER_INPUT, nothing stored', async () => {
    const before = await tableCounts();
    for (const query of [
      'mutation ($s: String!) { createTeam(input: { name: $s, headquarters: "x" }) { team { id } } }',
      'mutation ($s: String!) { createHero(input: { name: "Lone", secretName: $s }) { hero { id } } }',
      'query ($s: String!) { heroes(where: { nameContains: $s }) { totalCount } }',
    ]) {
      const answer = await post(`{"query": ${JSON.stringify(query)}, "variables": {"s": "a\\ud800b"}}`);
      expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.body.errors?.[0]?.message).toContain('lone surrogates');
    }
    expect(await tableCounts()).toEqual(before);
  });
});

describe('text that must survive the round trip', () => {
  it.each([
    ['right-to-left', 'فريق الأبطال', 'برج'],
    ['emoji, including joined sequences', 'Team 🦸‍♀️🔥', '🏢 HQ 👨‍👩‍👧'],
    ['SQL-looking', `Robert'); DROP TABLE "Team";--`, `%_\\`],
  ])('%s text is stored and returned exactly', async (_what, name, headquarters) => {
    const created = await send(
      'mutation ($name: String!, $hq: String!) { createTeam(input: { name: $name, headquarters: $hq }) { team { id name headquarters } } }',
      { name, hq: headquarters },
    );
    expect(created.body.errors).toBeUndefined();
    const team = (created.body.data as { createTeam: { team: { id: string; name: string; headquarters: string } } })
      .createTeam.team;
    expect(team).toMatchObject({ name, headquarters });
    const found = await send('query ($s: String!) { teams(where: { nameContains: $s }) { edges { node { id } } } }', {
      s: name.slice(0, 4),
    });
    expect(JSON.stringify(found.body)).toContain(team.id);
    await prisma.team.deleteMany({ where: { name } });
  });
});
