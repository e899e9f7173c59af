import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, type OperationDefinitionNode, parse } from 'graphql';
import { graphql } from './gql';
import { codesOf, data, hsToken, post, secret, startAccessServer, stopServer } from './support/access';
import type { ServerProcess } from './support/server-process';

// TRUSTED_DOCUMENTS: the server runs only the documents of the manifest `npm run codegen` writes
// (test/gql/persisted-documents.json: every operation of the tests and the documentation's examples),
// sent by hash; anything else is refused before it is parsed, except from admin callers.

const manifestPath = path.resolve(__dirname, 'gql/persisted-documents.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, string>;

const TrustedTeams = graphql(`
  query TrustedTeams {
    teams(first: 5, orderBy: { field: NAME }) {
      edges {
        node {
          name
        }
      }
    }
  }
`);
const TrustedCreateTeam = graphql(`
  mutation TrustedCreateTeam($name: String!) {
    createTeam(input: { name: $name, headquarters: "Trusted" }) {
      team {
        name
      }
    }
  }
`);

/** The hash a client sends: the document's, as codegen put it on the typed document. */
const hashOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;
const byHash = (hash: string, variables: Record<string, unknown> = {}) => ({
  variables,
  extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
});

let server: ServerProcess;
let editor: string;
let admin: string;

beforeAll(async () => {
  server = await startAccessServer({
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    TRUSTED_DOCUMENTS: path.relative(path.resolve(__dirname, '..'), manifestPath),
  });
  [editor, admin] = await Promise.all([hsToken(['editor']), hsToken(['admin'])]);
}, 90_000);
afterAll(() => stopServer(server));

it('runs a trusted document sent by hash, with or without the sha256: prefix', async () => {
  const hash = hashOf(TrustedTeams);
  expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(manifest[hash]).toContain('query TrustedTeams');
  const answer = await post(server, byHash(hash));
  expect(data(answer)).toEqual({ teams: { edges: expect.any(Array) } });
  expect(data(await post(server, byHash(hash.slice('sha256:'.length))))).toEqual(data(answer));
});

it('still asks a trusted mutation for its role', async () => {
  const request = byHash(hashOf(TrustedCreateTeam), { name: 'By hash' });
  expect(codesOf(await post(server, request))).toEqual(['UNAUTHENTICATED']);
  expect(data(await post(server, request, `Bearer ${editor}`))).toEqual({ createTeam: { team: { name: 'By hash' } } });
});

it('refuses an unknown hash, a document sent as text and a request with neither, before parsing', async () => {
  const refusals = {
    unknownHash: await post(server, byHash('0'.repeat(64))),
    text: await post(server, { query: '{ teams { totalCount } }' }),
    textOfATrustedDocument: await post(server, { query: manifest[hashOf(TrustedTeams)] }),
    syntaxError: await post(server, { query: '{ teams(' }),
    editorText: await post(server, { query: '{ teams { totalCount } }' }, `Bearer ${editor}`),
    neither: await post(server, { variables: {} }),
  };
  expect(
    Object.fromEntries(Object.entries(refusals).map(([kind, answer]) => [kind, [answer.status, ...codesOf(answer)]])),
  ).toEqual({
    unknownHash: [400, 'PERSISTED_QUERY_NOT_IN_LIST'],
    text: [400, 'PERSISTED_QUERY_ONLY'],
    textOfATrustedDocument: [400, 'PERSISTED_QUERY_ONLY'],
    syntaxError: [400, 'PERSISTED_QUERY_ONLY'],
    editorText: [400, 'PERSISTED_QUERY_ONLY'],
    neither: [400, 'PERSISTED_QUERY_ID_REQUIRED'],
  });
  for (const answer of Object.values(refusals)) expect(answer.body.data).toBeUndefined();
});

it('lets admin callers send any document (GraphiQL), and a bad token is still 401 first', async () => {
  expect(data(await post(server, { query: '{ teams { totalCount } }' }, `Bearer ${admin}`))).toEqual({
    teams: { totalCount: expect.any(Number) },
  });
  const parseError = await post(server, { query: '{ teams(' }, `Bearer ${admin}`);
  expect(codesOf(parseError)).toEqual(['GRAPHQL_PARSE_FAILED']);
  const badToken = await post(server, { query: '{ teams { totalCount } }' }, 'Bearer not.a.token');
  expect([badToken.status, ...codesOf(badToken)]).toEqual([401, 'UNAUTHENTICATED']);
});

it("holds the documentation's examples, which run by hash", async () => {
  // Every ```graphql block of docs/*.md, as codegen.yml's loader (scripts/markdown-documents.js) reads them.
  const docs = path.resolve(__dirname, '../docs');
  const pages = readdirSync(docs)
    .filter((name) => name.endsWith('.md'))
    .map((name) => readFileSync(path.join(docs, name), 'utf8'));
  const blocks = pages.flatMap((page) =>
    [...page.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)].map((match) => match[1]!),
  );
  const operations = blocks
    .flatMap((block) => parse(block).definitions)
    .filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const hashes = new Map<string, string>();
  for (const operation of operations) {
    const name = operation.name?.value;
    expect(name).toBeDefined();
    const entry = Object.entries(manifest).find(([, document]) =>
      document.startsWith(`${operation.operation} ${name}`),
    );
    if (!entry) throw new Error(`The docs' ${name} is not in the manifest: run npm run codegen`);
    hashes.set(name!, entry[0]);
  }
  expect([...hashes.keys()].sort()).toEqual([
    'Aggregates',
    'CreateMsMarvel',
    'FiltersThroughTheLink',
    'GraduateAndLeave',
    'JoinZForce',
    'MembershipHistory',
    'ResumeTeam',
    'SetTeamMembers',
    'TeamsAndHeroes',
    'WatchTeam',
  ]);
  // docs/access.md's example of a request by hash names TeamsAndHeroes' hash.
  expect(readFileSync(path.join(docs, 'access.md'), 'utf8')).toContain(
    hashes.get('TeamsAndHeroes')!.slice('sha256:'.length),
  );
  const P = 'VGVhbTox';
  const Z = 'VGVhbToy';
  const variables: Record<string, Record<string, unknown>> = {
    FiltersThroughTheLink: { P, Z, team: P },
    Aggregates: { team: P },
    SetTeamMembers: { team: Z, heroes: [{ heroId: 'SGVybzox', isTraining: false }] },
    // Deadpond (in the Preventers in the sample) graduates, Rusty-Man leaves.
    GraduateAndLeave: { team: P, graduate: 'SGVybzox', leaver: 'SGVybzoy' },
    MembershipHistory: { team: P, at: new Date(Date.now() - 1000).toISOString() },
  };
  // The subscriptions, as streams (Server-Sent Events): they open.
  for (const name of ['WatchTeam', 'ResumeTeam']) {
    const stream = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${editor}` },
      body: JSON.stringify(byHash(hashes.get(name)!, { team: P })),
    });
    expect([name, stream.status, stream.headers.get('content-type')]).toEqual([name, 200, 'text/event-stream']);
    await stream.body?.cancel();
    hashes.delete(name);
  }
  for (const [name, hash] of hashes) {
    const answer = await post(server, byHash(hash, variables[name] ?? {}), `Bearer ${editor}`);
    expect([name, answer.status, answer.body.errors]).toEqual([name, 200, undefined]);
  }
});

describe('in production with ANONYMOUS_ROLE=admin', () => {
  let open: ServerProcess;
  beforeAll(async () => {
    open = await startAccessServer({
      NODE_ENV: 'production',
      ANONYMOUS_ROLE: 'admin',
      JWT_SECRET: secret,
      TRUSTED_DOCUMENTS: path.relative(path.resolve(__dirname, '..'), manifestPath),
    });
  }, 90_000);
  afterAll(() => stopServer(open));

  it('keeps anonymous callers to the manifest: only an admin with a token may send any document', async () => {
    const text = await post(open, { query: '{ teams { totalCount } }' });
    expect([text.status, ...codesOf(text)]).toEqual([400, 'PERSISTED_QUERY_ONLY']);
    expect(data(await post(open, byHash(hashOf(TrustedTeams))))).toEqual({ teams: { edges: expect.any(Array) } });
    expect(data(await post(open, { query: '{ teams { totalCount } }' }, `Bearer ${admin}`))).toEqual({
      teams: { totalCount: expect.any(Number) },
    });
  });
});
