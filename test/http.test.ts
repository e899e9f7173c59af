import { prisma } from '../src/db';
import { seedIfEmpty } from '../src/db/seed';
import { Prisma } from '../src/generated/prisma/client';
import { captureLog } from '../src/ops/logger';
import { graphiqlDefaultQuery, yoga } from '../src/graphql/yoga';
import { graphql } from './gql';
import { resetDatabase, tableCounts } from './support/factories';
import { codes, executeOperation } from './support/graphql';

afterEach(() => jest.restoreAllMocks());

/** The log's lines while the test runs (src/ops/logger.ts), instead of stdout. */
function readLog(): string[] {
  const lines: string[] = [];
  const release = captureLog({ write: (line: string) => void lines.push(line) });
  afterEachOnce.push(release);
  return lines;
}
const afterEachOnce: (() => void)[] = [];
afterEach(() => afterEachOnce.splice(0).forEach((release) => release()));

describe('GraphiQL and health', () => {
  it('serves GraphiQL at /graphql with a default query of teams, their heroes and the link between', async () => {
    const response = await yoga.fetch('http://yoga/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title>Heroes & Teams</title>');
    expect(html).toContain(`"defaultQuery":${JSON.stringify(graphiqlDefaultQuery)}`);
    // Served whole from this server: nothing to fetch from a CDN (test/graphiql.test.ts runs it in a browser).
    expect(html).not.toMatch(/<script[^>]+src=["']?https?:/);
  });

  it("GraphiQL's default query answers the sample data's teams, each with its heroes and the link's fields", async () => {
    await resetDatabase({ seed: true });
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: graphiqlDefaultQuery }),
    });
    const body = (await response.json()) as {
      errors?: unknown;
      data: {
        teams: {
          edges: {
            node: {
              name: string;
              heroes: { edges: { isTraining: boolean; joinedAt: string; node: { name: string } }[] };
            };
          }[];
        };
      };
    };
    expect(body.errors).toBeUndefined();
    const teams = body.data.teams.edges.map(({ node }) => [
      node.name,
      node.heroes.edges.map((edge) => [edge.node.name, edge.isTraining, typeof edge.joinedAt]),
    ]);
    expect(teams).toEqual([
      [
        'Preventers',
        [
          ['Deadpond', true, 'string'],
          ['Rusty-Man', false, 'string'],
          ['Spider-Boy', true, 'string'],
        ],
      ],
      ['Z-Force', [['Deadpond', false, 'string']]],
    ]);
  });

  it('answers GET /health with 200 while the database answers, 503 when it does not', async () => {
    expect((await yoga.fetch('http://yoga/health')).status).toBe(200);
    jest.spyOn(prisma, '$queryRaw').mockRejectedValue(new Error('connection refused'));
    const down = await yoga.fetch('http://yoga/health');
    expect(down.status).toBe(503);
    expect(await down.text()).not.toContain('refused');
  });
});

describe('sample data', () => {
  it('loads the tutorial heroes and teams into an empty database, once', async () => {
    await resetDatabase();
    expect(await seedIfEmpty(prisma)).toBe(true);
    expect(await tableCounts()).toEqual({ heroes: 7, teams: 2, links: 4 });
    expect(await seedIfEmpty(prisma)).toBe(false);
    expect(await tableCounts()).toEqual({ heroes: 7, teams: 2, links: 4 });
    const teams = await prisma.team.findMany({ orderBy: { id: 'asc' } });
    expect(teams.map((t) => [t.name, t.headquarters])).toEqual([
      ['Preventers', 'Sharp Tower'],
      ['Z-Force', "Sister Margaret's Bar"],
    ]);
  });
});

// Reads go through the loaders' own SQL; writes through Prisma Client, whose errors are mapped.
const CreateTeam = graphql(`
  mutation CreateTeamForErrors($name: String!) {
    createTeam(input: { name: $name, headquarters: "HQ" }) {
      team {
        name
      }
    }
  }
`);

describe('errors', () => {
  beforeAll(() => resetDatabase({ seed: true }));

  it('masks unexpected errors: no message, stack, SQL or path reaches the client, only the log', async () => {
    const log = readLog();
    jest
      .spyOn(prisma.team, 'create')
      .mockRejectedValue(new Error('password=hunter2 at /work/main/src/db.ts: SELECT * FROM "Hero"'));
    const response = await executeOperation(CreateTeam, { name: 'Masked' });
    const text = JSON.stringify(response.body);
    expect(response.body.errors?.[0]?.message).toBe('Unexpected error.');
    for (const secret of ['hunter2', '/work/', 'SELECT', 'stack', 'db.ts']) expect(text).not.toContain(secret);
    expect(log).toEqual([expect.stringContaining('hunter2')]);
  });

  it('maps a unique violation to CONFLICT and a missing reference to NOT_FOUND, without their SQL', async () => {
    const log = readLog();
    const known = (code: string) =>
      new Prisma.PrismaClientKnownRequestError(`Invalid call: INSERT INTO "Hero" ... (${code})`, {
        code,
        clientVersion: Prisma.prismaVersion.client,
      });
    for (const [code, expected] of [
      ['P2002', 'CONFLICT'],
      ['P2003', 'NOT_FOUND'],
      ['P2025', 'NOT_FOUND'],
    ]) {
      jest.spyOn(prisma.team, 'create').mockRejectedValueOnce(known(code!));
      const response = await executeOperation(CreateTeam, { name: 'Mapped' });
      expect(codes(response)).toEqual([expected]);
      expect(JSON.stringify(response.body)).not.toContain('INSERT');
    }
    // The client's mistakes, not the server's: not logged as unexpected errors.
    expect(log).toEqual([]);
  });

  it('answers a malformed request with a GraphQL error, not a crash', async () => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ heroes { edges ',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(body.errors).toHaveLength(1);
  });
});
