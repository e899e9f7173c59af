import { type ServerProcess, startServer } from './support/server-process';

// The cost limit counts objects, not bytes: an answer past MAX_RESPONSE_BYTES is dropped for an
// error naming the limit before it reaches the connection (src/limits.ts). Decided after the
// database answered, whichever it is: PGlite's run is enough.

const processes = process.env.DATABASE_URL ? describe.skip : describe;

processes('past MAX_RESPONSE_BYTES', () => {
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

  it('lets a smaller answer through, and health endpoints', async () => {
    const answer = await post('{ heroes(first: 2) { edges { node { name } } } }', 'application/json');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { heroes: { edges: expect.any(Array) } } });
    expect((await fetch(`${server.url}/live`)).status).toBe(200);
  });
});
