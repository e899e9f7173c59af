import { type ServerProcess, startServer } from './support/server-process';
import { subscribeSse } from './support/sse';

// The cost limit counts objects, not bytes: an answer past MAX_RESPONSE_BYTES is dropped for an
// error naming the limit before it reaches the connection (src/graphql/limits.ts). Decided after the
// database answered, whichever it is: PGlite's run is enough (jest.config.js).

describe('past MAX_RESPONSE_BYTES', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ DATA_DIR: 'memory://', MAX_RESPONSE_BYTES: '2000' });
  }, 60_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  async function post(query: string, accept: string) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
  }

  // The sample heroes with their teams, five times over: about 5 KB.
  const big = `{ ${[1, 2, 3, 4, 5]
    .map(
      (i) =>
        `a${i}: heroes(first: 100) { edges { node { id name secretName age teams { edges { node { name } } } } } }`,
    )
    .join(' ')} }`;

  it.each(['application/json', 'application/graphql-response+json'])(
    'replaces a bigger answer by MAX_RESPONSE_BYTES_EXCEEDED, data null, status 200 (%s)',
    async (accept) => {
      const answer = await post(big, accept);
      expect(answer.status).toBe(200);
      expect(answer.type).toContain(accept);
      const body = JSON.parse(answer.body) as { data: unknown; errors: { message: string; extensions: unknown }[] };
      expect(body.data).toBeNull();
      expect(body.errors).toEqual([
        {
          message: expect.stringMatching(/^The answer is \d+ bytes, more than the 2000 allowed \(MAX_RESPONSE_BYTES\)/),
          extensions: { code: 'MAX_RESPONSE_BYTES_EXCEEDED' },
        },
      ]);
    },
  );

  it('replaces a subscription event bigger than MAX_RESPONSE_BYTES by the same error; the stream goes on', async () => {
    const ids = JSON.parse(
      (
        await post(
          '{ heroes(first: 1) { edges { node { id } } } teams(first: 1) { edges { node { id } } } }',
          'application/json',
        )
      ).body,
    ) as { data: { heroes: { edges: { node: { id: string } }[] }; teams: { edges: { node: { id: string } }[] } } };
    const hero = ids.data.heroes.edges[0]!.node.id;
    const team = ids.data.teams.edges[0]!.node.id;
    // The team's heroes twelve times over (MAX_ALIASES is 15): more than 2,000 bytes.
    const roster = Array.from(
      { length: 12 },
      (_, i) => `r${i}: heroes(first: 100) { edges { node { id name secretName age } } }`,
    );
    const stream = await subscribeSse<Record<string, any>, Record<string, unknown>>(
      fetch,
      `${server.url}/graphql`,
      `subscription ($team: ID!) { membershipChanged(teamId: $team) { kind team { ${roster.join(' ')} } } }`,
      { team },
    );
    const small = await subscribeSse<Record<string, any>, Record<string, unknown>>(
      fetch,
      `${server.url}/graphql`,
      `subscription ($team: ID!) { membershipChanged(teamId: $team) { kind heroId } }`,
      { team },
    );
    const change = async (mutation: string) => {
      const answer = await post(
        `mutation { ${mutation}(input: { heroId: "${hero}", teamId: "${team}" }) { __typename } }`,
        'application/json',
      );
      expect(JSON.parse(answer.body).errors).toBeUndefined();
    };
    try {
      // The hero may already be a member in the sample data: leave, then join.
      await post(
        `mutation { removeHeroFromTeam(input: { heroId: "${hero}", teamId: "${team}" }) { removed } }`,
        'application/json',
      );
      await change('addHeroToTeam');
      const messages = [await stream.next(), await stream.next()].filter(
        (message) => message?.data?.membershipChanged?.kind !== 'REMOVED',
      );
      const big = messages.at(-1)!;
      expect(big.data).toBeNull();
      expect(big.errors).toEqual([
        {
          message: expect.stringMatching(/^The answer is \d+ bytes, more than the 2000 allowed \(MAX_RESPONSE_BYTES\)/),
          extensions: { code: 'MAX_RESPONSE_BYTES_EXCEEDED' },
        },
      ]);
      const smallMessages = [await small.next(), await small.next()];
      expect(smallMessages.map((message) => message?.data?.membershipChanged?.kind)).toContain('ADDED');
      expect(stream.completed).toBe(false);
    } finally {
      await stream.close();
      await small.close();
    }
  });

  it('lets a smaller answer through, and health endpoints', async () => {
    const answer = await post('{ heroes(first: 2) { edges { node { name } } } }', 'application/json');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { heroes: { edges: expect.any(Array) } } });
    expect((await fetch(`${server.url}/live`)).status).toBe(200);
  });
});
