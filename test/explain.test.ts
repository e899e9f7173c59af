import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { anonymousCaller } from '../src/access/roles';
import { type Explanation, isRead, mayExplain } from '../src/graphql/explain';
import { explainPanelMarkup, explainPanelScript, explainPanelStyle } from '../src/graphql/explain-panel';
import { yoga } from '../src/graphql/yoga';
import { graphql } from './gql';
import { heroId, resetDatabase, teamId } from './support/factories';
import { recordSql } from './support/graphql';
import { hsToken, secret, startAccessServer, stopServer } from './support/access';
import type { ServerProcess } from './support/server-process';

// x-explain (docs/operations.md, "Explain"): the SQL statements an operation sent, with their parameters,
// durations and, on request, their plans, under extensions.explain, for admin callers only.

const HeroesWithTeamsExplained = graphql(`
  query HeroesWithTeamsExplained {
    heroes(first: 3, orderBy: { field: ID }) {
      edges {
        node {
          name
          teams(first: 5) {
            edges {
              node {
                name
              }
            }
          }
        }
      }
    }
  }
`);

const AddHeroToTeamExplained = graphql(`
  mutation AddHeroToTeamExplained($hero: ID!, $team: ID!) {
    addHeroToTeam(input: { heroId: $hero, teamId: $team }) {
      team {
        heroes {
          totalCount
          edges {
            node {
              name
            }
          }
        }
      }
    }
  }
`);

const SetHeroTeamsExplained = graphql(`
  mutation SetHeroTeamsExplained($hero: ID!, $team: ID!) {
    setHeroTeams(input: { heroId: $hero, teams: [{ teamId: $team }] }) {
      hero {
        name
      }
    }
  }
`);

const TeamHeroCountExplained = graphql(`
  query TeamHeroCountExplained($team: ID!) {
    team(id: $team) {
      heroes {
        totalCount
      }
    }
  }
`);

interface Answer {
  status: number;
  body: { data?: unknown; errors?: unknown[]; extensions?: { explain?: Explanation } };
}

async function send<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

describe('in development (an anonymous caller is admin)', () => {
  beforeAll(() => resetDatabase({ seed: true }));

  it('lists the statements sent, their parameters and durations with x-explain: 1, and no plans', async () => {
    const { result, statements, params } = await recordSql(() =>
      send(HeroesWithTeamsExplained, {}, { 'x-explain': '1' }),
    );
    expect(result.body.errors).toBeUndefined();
    const explain = result.body.extensions?.explain;
    expect(explain?.level).toBe('statements');
    expect(explain?.omitted).toBe(0);
    // The heroes' page, then their teams' pages in one batch: exactly what the server sent.
    expect(explain?.statements.map((statement) => statement.sql)).toEqual(statements);
    expect(statements).toHaveLength(2);
    expect(explain?.statements.map((statement) => statement.params)).toEqual(params.map((text) => JSON.parse(text)));
    for (const statement of explain!.statements) {
      expect(statement.params).toEqual(expect.any(Array));
      expect(statement.durationMs).toEqual(expect.any(Number));
      expect(statement.durationMs).toBeGreaterThanOrEqual(0);
      expect(statement).not.toHaveProperty('plan');
      expect(statement).not.toHaveProperty('noPlan');
    }
    // The same answer as without the header.
    expect(result.body.data).toEqual((await send(HeroesWithTeamsExplained, {})).body.data);
  });

  it("adds each read's plan with x-explain: plan, and sends no statement more for it", async () => {
    const { result, statements } = await recordSql(() => send(HeroesWithTeamsExplained, {}, { 'x-explain': 'plan' }));
    const explain = result.body.extensions?.explain;
    expect(explain?.level).toBe('plan');
    expect(statements).toHaveLength(2);
    expect(explain?.statements).toHaveLength(2);
    for (const statement of explain!.statements) {
      expect(statement.noPlan).toBeUndefined();
      // EXPLAIN without ANALYZE: estimates only, no actual times.
      expect(statement.plan?.[0]).toMatch(/\(cost=[\d.]+\.\.[\d.]+ rows=\d+ width=\d+\)$/);
      expect(statement.plan!.join('\n')).not.toMatch(/actual time/);
    }
  });

  it('adds nothing without the header, or with a value it does not know', async () => {
    for (const headers of [{}, { 'x-explain': '0' }, { 'x-explain': 'analyze' }] as Record<string, string>[]) {
      const answer = await send(HeroesWithTeamsExplained, {}, headers);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body).not.toHaveProperty('extensions');
    }
  });

  it('explains the reads of a mutation and not its write, which runs once', async () => {
    // Rusty-Man (Hero:2) joins Z-Force (Team:2), which has one hero.
    const variables = { hero: heroId(2), team: teamId(2) };
    const { result, statements } = await recordSql(() =>
      send(AddHeroToTeamExplained, variables, { 'x-explain': 'plan' }),
    );
    expect(result.body.errors).toBeUndefined();
    const explain = result.body.extensions!.explain!;
    expect(explain.statements.map((statement) => statement.sql)).toEqual(statements);
    const insert = explain.statements.find((statement) => /^\s*INSERT/i.test(statement.sql));
    expect(insert?.plan).toBeUndefined();
    expect(insert?.noPlan).toMatch(/^not a read/);
    const reads = explain.statements.filter((statement) => isRead(statement.sql));
    // The lookups of the hero and the team, the membership written, the payload's hero read again
    // (its teamCount changed), the payload's page of the team's heroes and their count.
    expect(reads.length).toBe(6);
    for (const read of reads) expect(read.plan?.length).toBeGreaterThan(0);
    for (const statement of explain.statements) {
      if (!isRead(statement.sql)) expect(statement.plan).toBeUndefined();
    }
    const after = await send(TeamHeroCountExplained, { team: teamId(2) });
    expect(after.body.data).toEqual({ team: { heroes: { totalCount: 2 } } });
  });

  it("lists a transaction's statements, its locks unexplained", async () => {
    // Rusty-Man back to the Preventers only: a transaction that locks him first.
    const { result, statements } = await recordSql(() =>
      send(SetHeroTeamsExplained, { hero: heroId(2), team: teamId(1) }, { 'x-explain': 'plan' }),
    );
    expect(result.body.errors).toBeUndefined();
    const explain = result.body.extensions!.explain!;
    expect(explain.statements.map((statement) => statement.sql)).toEqual(statements);
    // Prisma reports a transaction's COMMIT (PGlite's driver: as a comment naming it), not its BEGIN;
    // then the payload reads its hero again (its teamCount changed).
    const commit = statements.findIndex((sql) => /COMMIT/.test(sql));
    expect(commit).toBe(statements.length - 2);
    expect(explain.statements[commit]?.noPlan).toMatch(/^not a read/);
    expect(statements.at(-1)).toMatch(/FROM "Hero" n WHERE n.id = ANY/);
    const locks = explain.statements.filter((statement) => /\bFOR (NO KEY )?(UPDATE|SHARE)\b/i.test(statement.sql));
    expect(locks.length).toBeGreaterThan(0);
    for (const lock of locks) expect(lock.noPlan).toMatch(/^not a read/);
    const after = await send(TeamHeroCountExplained, { team: teamId(2) });
    expect(after.body.data).toEqual({ team: { heroes: { totalCount: 1 } } });
  });
});

describe('GraphiQL', () => {
  it('loads the explain panel: its markup in the page, its script after GraphiQL starts, no other host named', async () => {
    const response = await yoga.fetch('http://yoga/graphql', { headers: { accept: 'text/html' } });
    const page = await response.text();
    expect(page).toContain(explainPanelMarkup);
    const start = /<script src="(\/graphiql\/start\.[^"]+\.js)">/.exec(page)![1]!;
    const script = await (await yoga.fetch(`http://yoga${start}`)).text();
    expect(script.indexOf(explainPanelScript)).toBeGreaterThan(script.indexOf('YogaGraphiQL.renderYogaGraphiQL('));
    expect(() => new Function(script)).not.toThrow();
    expect(script).toContain("headers.set('x-explain', mode)");
    for (const part of [explainPanelMarkup, explainPanelScript, explainPanelStyle]) {
      expect(part).not.toMatch(/https?:|\/\/\w|\bsrc=|\bhref=/i);
    }
  });
});

describe('which statements are reads', () => {
  it('takes SELECT and WITH … SELECT, and nothing that writes or locks', () => {
    expect(isRead('SELECT 1')).toBe(true);
    expect(isRead('  -- a comment\n/* another */ select * from "Hero" where id = $1')).toBe(true);
    expect(isRead('WITH page AS (SELECT id FROM "Hero") SELECT * FROM page')).toBe(true);
    expect(isRead('WITH gone AS (DELETE FROM "Hero" RETURNING id) SELECT * FROM gone')).toBe(false);
    expect(isRead('INSERT INTO "Team" (name) VALUES ($1)')).toBe(false);
    expect(isRead('UPDATE "Hero" SET age = 1')).toBe(false);
    expect(isRead('SELECT id FROM "Hero" WHERE id = ANY($1) ORDER BY id FOR UPDATE')).toBe(false);
    expect(isRead('SELECT id FROM "Team" FOR NO KEY UPDATE')).toBe(false);
    expect(isRead('SELECT * INTO copy FROM "Hero"')).toBe(false);
    expect(isRead('SELECT 1; DELETE FROM "Hero"')).toBe(false);
    expect(isRead('BEGIN')).toBe(false);
    expect(isRead('COMMIT')).toBe(false);
  });
});

describe('who may see it', () => {
  it('is an admin; in production an admin with a token, never an anonymous one', () => {
    const withToken = (role: 'viewer' | 'editor' | 'admin') => ({ role, roles: [role], authenticated: true });
    expect(mayExplain(anonymousCaller('admin'), false)).toBe(true);
    expect(mayExplain(withToken('admin'), false)).toBe(true);
    expect(mayExplain(withToken('editor'), false)).toBe(false);
    expect(mayExplain(anonymousCaller('viewer'), false)).toBe(false);
    expect(mayExplain(withToken('admin'), true)).toBe(true);
    expect(mayExplain(anonymousCaller('admin'), true)).toBe(false);
    expect(mayExplain(withToken('viewer'), true)).toBe(false);
    expect(mayExplain(anonymousCaller('viewer'), true)).toBe(false);
  });
});

describe('in production, over HTTP', () => {
  let server: ServerProcess;
  // Anonymous callers are admin here, on purpose: even then they get no explanation.
  beforeAll(async () => {
    server = await startAccessServer({ NODE_ENV: 'production', JWT_SECRET: secret, ANONYMOUS_ROLE: 'admin' });
  }, 60_000);
  afterAll(() => stopServer(server));

  async function post(header: string, token?: string): Promise<Answer> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-explain': header,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query: print(HeroesWithTeamsExplained) }),
    });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  }

  it('explains to an admin with a token', async () => {
    const answer = await post('plan', await hsToken(['admin']));
    expect(answer.status).toBe(200);
    const explain = answer.body.extensions?.explain;
    expect(explain?.statements).toHaveLength(2);
    for (const statement of explain!.statements) expect(statement.plan?.length).toBeGreaterThan(0);
  });

  it('ignores the header for a viewer and for an anonymous caller: the same answer, no error', async () => {
    const plain = await post('0', await hsToken(['viewer']));
    expect(plain.body.errors).toBeUndefined();
    for (const answer of [await post('plan', await hsToken(['viewer'])), await post('1'), await post('plan')]) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ data: plain.body.data });
    }
  });
});
