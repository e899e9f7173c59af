import { UnsecuredJWT } from 'jose';
import type { ServerProcess } from './support/server-process';
import { useAuthentication } from '../src/access/authentication';
import { createContext } from '../src/graphql/context';
import { yoga } from '../src/graphql/yoga';
import { graphql } from './gql';
import { resetDatabase, teamId } from './support/factories';
import { executeOperation } from './support/graphql';
import {
  type Answer,
  codesOf,
  data,
  hsToken,
  post,
  secret,
  send,
  startAccessServer,
  stopServer,
} from './support/access';

// Who may do what (docs/access.md). In process: the test configuration, development defaults
// and no key. Over HTTP: a server in production mode with a JWT secret, issuer and audience,
// where every caller meets every mutation, and every kind of bad token is refused before parsing.

const DeleteTeamInProcess = graphql(`
  mutation DeleteTeamInProcess($id: ID!) {
    deleteTeam(input: { id: $id }) {
      deletedId
    }
  }
`);

describe('in process: development defaults, no key configured', () => {
  beforeAll(() => resetDatabase({ seed: true }));

  it('lets anonymous callers do everything (admin), deletes included', async () => {
    const response = await executeOperation(DeleteTeamInProcess, { id: teamId(2) });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.deleteTeam.deletedId).toBe(teamId(2));
  });

  it('refuses any Authorization header with 401 UNAUTHENTICATED: there is no key to check it with', async () => {
    for (const authorization of [`Bearer ${await hsToken(['admin'])}`, 'Bearer x', 'Basic dXNlcjpwYXNz']) {
      const response = await yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ heroes { totalCount } }' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      const body = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect(body.data).toBeUndefined();
      expect(body.errors.map((error) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('serves GraphiQL with its headers editor, where a token goes', async () => {
    const response = await yoga.fetch('http://yoga/graphql', { headers: { accept: 'text/html' } });
    expect(await response.text()).toContain('"isHeadersEditorEnabled":true');
  });

  it('puts the caller on the context: its strongest known role, its roles, its subject, its expiry', async () => {
    const plugin = useAuthentication({
      anonymousRole: 'viewer',
      jwt: { keys: { kind: 'secret', secret }, issuer: undefined, audience: undefined, rolesClaim: 'groups' },
    });
    const callerOf = async (headers: Record<string, string>) => {
      const request = new Request('http://yoga/graphql', { headers });
      await (plugin.onParams as (payload: { request: Request }) => unknown)({ request });
      return createContext({ request }).caller;
    };
    const token = await hsToken(undefined, { groups: ['editor', 'viewer', 'pilot'], sub: 'alice' });
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    expect((await callerOf({ authorization: `Bearer ${token}` })).expiresAt).toBe(exp * 1000);
    expect(await callerOf({ authorization: `Bearer ${token}` })).toEqual({
      role: 'editor',
      roles: ['editor', 'viewer', 'pilot'],
      subject: 'alice',
      authenticated: true,
      expiresAt: expect.any(Number),
    });
    const unknown = await hsToken(undefined, { groups: ['pilot'], sub: undefined });
    expect(await callerOf({ authorization: `Bearer ${unknown}` })).toEqual({
      role: null,
      roles: ['pilot'],
      subject: undefined,
      authenticated: true,
      expiresAt: expect.any(Number),
    });
    // The strongest known role wherever it stands in the list, first or last.
    const roleOf = async (groups: string[]) =>
      (await callerOf({ authorization: `Bearer ${await hsToken(undefined, { groups })}` })).role;
    expect(await roleOf(['viewer', 'admin'])).toBe('admin');
    expect(await roleOf(['admin', 'viewer'])).toBe('admin');
    expect(await roleOf(['pilot', 'viewer', 'editor'])).toBe('editor');
    expect(await roleOf(['editor', 'pilot', 'viewer'])).toBe('editor');
    // A roles claim that is not an array of strings grants nothing.
    const scalar = await hsToken(undefined, { groups: 'admin' });
    expect((await callerOf({ authorization: `Bearer ${scalar}` })).role).toBeNull();
    expect(await callerOf({})).toEqual({ role: 'viewer', roles: ['viewer'], authenticated: false });
    // A request that never met authentication gets no role at all.
    expect(createContext({ request: new Request('http://yoga/graphql') }).caller.role).toBeNull();
  });
});

describe('configuration, checked at start', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  const load = (env: Record<string, string | undefined>) => {
    for (const name of Object.keys(process.env))
      if (/^(JWT_|ANONYMOUS_ROLE|TRUSTED_DOCUMENTS)/.test(name)) delete process.env[name];
    Object.assign(process.env, env);
    let access: unknown;
    jest.isolateModules(() => {
      access = (require('../src/config') as typeof import('../src/config')).config.access;
      // The manifest of TRUSTED_DOCUMENTS is read by the module that uses it, as the server starts.
      require('../src/access/trusted-documents');
    });
    return access as import('../src/config').AccessConfig;
  };

  it('defaults anonymous callers to admin in development, viewer in production; none refuses them', () => {
    expect(load({ NODE_ENV: 'development' }).anonymousRole).toBe('admin');
    expect(load({ NODE_ENV: 'production' }).anonymousRole).toBe('viewer');
    expect(load({ NODE_ENV: 'production', ANONYMOUS_ROLE: 'editor' }).anonymousRole).toBe('editor');
    expect(load({ ANONYMOUS_ROLE: 'none' }).anonymousRole).toBeNull();
    expect(load({}).jwt).toBeNull();
  });

  it('fails with a message naming the variable', () => {
    expect(() => load({ ANONYMOUS_ROLE: 'foo' })).toThrow(
      /ANONYMOUS_ROLE must be one of viewer, editor, admin or none/,
    );
    expect(() => load({ JWT_JWKS_FILE: '/nonexistent/jwks.json' })).toThrow(/JWT_JWKS_FILE: cannot read/);
    expect(() => load({ JWT_JWKS_FILE: 'package.json' })).toThrow(/JWT_JWKS_FILE: .* is not a JWKS/);
    expect(() => load({ JWT_SECRET: secret, JWT_JWKS_URL: 'https://example.com/jwks' })).toThrow(
      /Set one of JWT_SECRET, JWT_JWKS_FILE and JWT_JWKS_URL/,
    );
    expect(() => load({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET must be at least 32 characters/);
    expect(() => load({ JWT_JWKS_URL: 'ftp://example.com/jwks' })).toThrow(/JWT_JWKS_URL must be an http/);
    expect(() => load({ JWT_ISSUER: 'me' })).toThrow(/JWT_ISSUER is set but no key is/);
    expect(() => load({ TRUSTED_DOCUMENTS: '/nonexistent.json' })).toThrow(/TRUSTED_DOCUMENTS: cannot read/);
    expect(() => load({ TRUSTED_DOCUMENTS: 'package.json' })).toThrow(/is not a document whose SHA-256 is its key/);
  });
});

// Every mutation, run by each kind of caller on objects made for it: a team, a hero of that team
// (member) and a hero of none (loner).
const Fixture = graphql(`
  mutation AccessFixture($team: ID!, $name: String!) {
    member: createHero(input: { name: $name, secretName: "m", teams: [{ teamId: $team }] }) {
      hero {
        id
      }
    }
    loner: createHero(input: { name: $name, secretName: "l" }) {
      hero {
        id
      }
    }
  }
`);
const FixtureTeam = graphql(`
  mutation AccessFixtureTeam($name: String!) {
    createTeam(input: { name: $name, headquarters: "HQ" }) {
      team {
        id
      }
    }
  }
`);

// What a mutation could change about the fixture, and how many heroes and teams there are.
const Snapshot = graphql(`
  query AccessSnapshot($ids: [ID!]!) {
    heroes {
      totalCount
    }
    teams {
      totalCount
    }
    nodes(ids: $ids) {
      id
      ... on Team {
        name
        headquarters
        heroes {
          totalCount
          edges {
            isTraining
            joinedAt
            node {
              id
            }
          }
        }
      }
      ... on Hero {
        name
        secretName
        age
        teams {
          edges {
            isTraining
            joinedAt
            node {
              id
            }
          }
        }
      }
    }
  }
`);

const mutations = {
  createTeam: graphql(`
    mutation AccessCreateTeam($name: String!) {
      createTeam(input: { name: $name, headquarters: "Elsewhere" }) {
        team {
          id
        }
      }
    }
  `),
  updateTeam: graphql(`
    mutation AccessUpdateTeam($team: ID!) {
      updateTeam(input: { id: $team, name: "Renamed" }) {
        team {
          id
        }
      }
    }
  `),
  deleteTeam: graphql(`
    mutation AccessDeleteTeam($team: ID!) {
      deleteTeam(input: { id: $team }) {
        deletedId
      }
    }
  `),
  createHero: graphql(`
    mutation AccessCreateHero($name: String!) {
      createHero(input: { name: $name, secretName: "new" }) {
        hero {
          id
        }
      }
    }
  `),
  updateHero: graphql(`
    mutation AccessUpdateHero($member: ID!) {
      updateHero(input: { id: $member, age: 99 }) {
        hero {
          id
        }
      }
    }
  `),
  deleteHero: graphql(`
    mutation AccessDeleteHero($member: ID!) {
      deleteHero(input: { id: $member }) {
        deletedId
      }
    }
  `),
  addHeroToTeam: graphql(`
    mutation AccessAddHeroToTeam($loner: ID!, $team: ID!) {
      addHeroToTeam(input: { heroId: $loner, teamId: $team }) {
        isTraining
      }
    }
  `),
  updateMembership: graphql(`
    mutation AccessUpdateMembership($member: ID!, $team: ID!) {
      updateMembership(input: { heroId: $member, teamId: $team, isTraining: true }) {
        isTraining
      }
    }
  `),
  removeHeroFromTeam: graphql(`
    mutation AccessRemoveHeroFromTeam($member: ID!, $team: ID!) {
      removeHeroFromTeam(input: { heroId: $member, teamId: $team }) {
        removed
      }
    }
  `),
  setHeroTeams: graphql(`
    mutation AccessSetHeroTeams($loner: ID!, $team: ID!) {
      setHeroTeams(input: { heroId: $loner, teams: [{ teamId: $team }] }) {
        hero {
          id
        }
      }
    }
  `),
  addHeroesToTeam: graphql(`
    mutation AccessAddHeroesToTeam($loner: ID!, $team: ID!) {
      addHeroesToTeam(input: { teamId: $team, heroes: [{ heroId: $loner }] }) {
        added
      }
    }
  `),
  removeHeroesFromTeam: graphql(`
    mutation AccessRemoveHeroesFromTeam($member: ID!, $team: ID!) {
      removeHeroesFromTeam(input: { teamId: $team, heroIds: [$member] }) {
        removed
      }
    }
  `),
  setTeamHeroes: graphql(`
    mutation AccessSetTeamHeroes($loner: ID!, $team: ID!) {
      setTeamHeroes(input: { teamId: $team, heroes: [{ heroId: $loner }] }) {
        added
        removed
      }
    }
  `),
};
type MutationName = keyof typeof mutations;
const names = Object.keys(mutations) as MutationName[];
const deletes: MutationName[] = ['deleteTeam', 'deleteHero'];

const Heroes = graphql(`
  query AccessHeroes($name: String) {
    heroes(where: { nameContains: $name }) {
      totalCount
    }
  }
`);

describe('over HTTP, in production mode with JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE', () => {
  let server: ServerProcess;
  const iss = 'heroes-test';
  const aud = 'heroes-api';
  const token = (roles: unknown, claims: Record<string, unknown> = {}, options = {}) =>
    hsToken(roles, { iss, aud, ...claims }, options);
  let admin: string;

  beforeAll(async () => {
    server = await startAccessServer({
      NODE_ENV: 'production',
      JWT_SECRET: secret,
      JWT_ISSUER: iss,
      JWT_AUDIENCE: `${aud}, another-api`,
    });
    admin = await token(['admin']);
  }, 60_000);
  afterAll(() => stopServer(server));

  let fixtures = 0;
  async function fixture() {
    const name = `Access fixture ${++fixtures}`;
    const team = data<{ createTeam: { team: { id: string } } }>(await send(server, FixtureTeam, { name }, admin))
      .createTeam.team.id;
    const heroes = data<{ member: { hero: { id: string } }; loner: { hero: { id: string } } }>(
      await send(server, Fixture, { team, name }, admin),
    );
    return { team, member: heroes.member.hero.id, loner: heroes.loner.hero.id, name: `${name} new` };
  }
  const snapshot = async (ids: string[]) => data(await send(server, Snapshot, { ids }, admin));

  // Anonymous callers are viewers here (the production default): reading is all they may do.
  const callers: [string, () => Promise<string | undefined>, (name: MutationName) => string][] = [
    ['anonymous (viewer)', async () => undefined, () => 'UNAUTHENTICATED'],
    ['viewer', () => token(['viewer']), () => 'FORBIDDEN'],
    // The stronger role last: a caller is its strongest known role wherever it stands in the list.
    ['editor', () => token(['viewer', 'editor']), (name) => (deletes.includes(name) ? 'FORBIDDEN' : 'ok')],
    ['admin', () => token(['viewer', 'admin']), () => 'ok'],
    ['a token with roles the server does not know', () => token(['superuser', 'Admin']), () => 'FORBIDDEN'],
  ];

  it.each(callers)('%s: each mutation succeeds or is refused, writing nothing', async (_who, tokenOf, expected) => {
    const bearer = await tokenOf();
    const outcomes: Record<string, string> = {};
    const leaks: string[] = [];
    for (const name of names) {
      const objects = await fixture();
      const ids = [objects.team, objects.member, objects.loner];
      const before = await snapshot(ids);
      const answer: Answer = await send(server, mutations[name] as unknown as typeof Heroes, objects, bearer);
      if (answer.status === 200 && !answer.body.errors) {
        outcomes[name] = 'ok';
        continue;
      }
      outcomes[name] = codesOf(answer).join(',');
      expect(answer.body.data).toBeNull();
      // The refusal names no role, no scope, no stack.
      const text = JSON.stringify(answer.body);
      if (/viewer|editor|admin|scope|\bat\b|\.ts/i.test(text)) leaks.push(text);
      expect(await snapshot(ids)).toEqual(before);
    }
    expect(outcomes).toEqual(Object.fromEntries(names.map((name) => [name, expected(name)])));
    expect(leaks).toEqual([]);
  });

  it('lets viewers and anonymous callers read; a token without a known role reads nothing', async () => {
    expect(data(await send(server, Heroes, {})).heroes).toEqual({ totalCount: expect.any(Number) });
    const all = data<{ heroes: { totalCount: number } }>(await send(server, Heroes, {})).heroes.totalCount;
    expect(data(await send(server, Heroes, {}, await token(['viewer']))).heroes).toEqual({ totalCount: all });
    const refused = await send(server, Heroes, {}, await token(['pilot']));
    expect(refused.status).toBe(200);
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    expect(refused.body.data).toBeNull();
  });

  it('accepts any of the audiences of JWT_AUDIENCE', async () => {
    const answer = await send(server, Heroes, {}, await token(['viewer'], { aud: 'another-api' }));
    expect(data(answer).heroes).toEqual({ totalCount: expect.any(Number) });
  });

  it('refuses every bad token with 401 UNAUTHENTICATED before parsing, and runs nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsecured = new UnsecuredJWT({ roles: ['admin'], iss, aud, exp: now + 3600 }).encode();
    const bad: [string, string][] = [
      ['alg none', `Bearer ${unsecured}`],
      ['alg none with a made-up signature', `Bearer ${unsecured}c2lnbmF0dXJl`],
      ['a wrong signature', `Bearer ${await token(['admin'], {}, { key: `${secret}-not-it` })}`],
      ['HS512 with the right secret', `Bearer ${await token(['admin'], {}, { alg: 'HS512' })}`],
      ['expired', `Bearer ${await token(['admin'], { exp: now - 60 })}`],
      ['not valid yet (nbf)', `Bearer ${await token(['admin'], { nbf: now + 3600 })}`],
      ['without exp', `Bearer ${await token(['admin'], { exp: undefined })}`],
      ['a wrong issuer', `Bearer ${await token(['admin'], { iss: 'someone-else' })}`],
      ['a wrong audience', `Bearer ${await token(['admin'], { aud: 'other-api' })}`],
      ['no audience', `Bearer ${await token(['admin'], { aud: undefined })}`],
      ['malformed: Bearer alone', 'Bearer'],
      ['malformed: not a JWT', 'Bearer abc.def'],
      ['malformed: Basic', 'Basic dXNlcjpwYXNz'],
      ['malformed: the token without Bearer', await token(['admin'])],
      ['malformed: two tokens', `Bearer ${await token(['admin'])} ${await token(['admin'])}`],
      ['malformed: empty', ''],
    ];
    const name = 'Never Written';
    const refusals: Record<string, unknown> = {};
    for (const [kind, authorization] of bad) {
      const query = `mutation { createHero(input: { name: "${name}", secretName: "x" }) { hero { id } } }`;
      const answer = await post(server, { query }, authorization);
      // A document that does not even parse is refused for the token, not for its syntax.
      const broken = await post(server, { query: 'mutation { createHero(' }, authorization);
      refusals[kind] = {
        status: answer.status,
        codes: codesOf(answer),
        data: answer.body.data,
        challenge: /^Bearer\b/.test(answer.headers.get('www-authenticate') ?? ''),
        broken: [broken.status, ...codesOf(broken)],
      };
    }
    const expected = {
      status: 401,
      codes: ['UNAUTHENTICATED'],
      data: undefined,
      challenge: true,
      broken: [401, 'UNAUTHENTICATED'],
    };
    expect(refusals).toEqual(Object.fromEntries(bad.map(([kind]) => [kind, expected])));
    expect(
      data<{ heroes: { totalCount: number } }>(await send(server, Heroes, { name }, admin)).heroes.totalCount,
    ).toBe(0);
  });

  it('tells why a token was refused, without any key material', async () => {
    const now = Math.floor(Date.now() / 1000);
    const reasonOf = async (authorization: string) =>
      (await post(server, { query: '{ heroes { totalCount } }' }, authorization)).body.errors?.[0]?.message;
    expect(await reasonOf(`Bearer ${await token(['admin'], { exp: now - 60 })}`)).toBe('The token has expired');
    expect(await reasonOf(`Bearer ${await token(['admin'], { iss: 'x' })}`)).toBe('The token has the wrong issuer');
    expect(await reasonOf(`Bearer ${await token(['admin'], {}, { key: `${secret}!` })}`)).toBe(
      "The token's signature is not valid",
    );
  });
});
