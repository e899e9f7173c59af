import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { graphql } from './gql';
import { claimsFor, codesOf, data, hsToken, post, send, startAccessServer, stopServer } from './support/access';
import type { ServerProcess } from './support/server-process';

// Tokens signed with key pairs: RS256 with the public keys in a JWKS file (and anonymous callers
// refused, ANONYMOUS_ROLE=none), ES256 with a JWKS URL whose keys rotate. Each configuration is a
// server process of its own.

const CreateTeam = graphql(`
  mutation AccessKeysCreateTeam($name: String!) {
    createTeam(input: { name: $name, headquarters: "Keys" }) {
      team {
        id
      }
    }
  }
`);
const DeleteTeam = graphql(`
  mutation AccessKeysDeleteTeam($id: ID!) {
    deleteTeam(input: { id: $id }) {
      deletedId
    }
  }
`);
const Teams = graphql(`
  query AccessKeysTeams($name: String) {
    teams(where: { nameContains: $name }) {
      totalCount
    }
  }
`);

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

async function publicJwk(pair: KeyPair, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
}

function sign(pair: KeyPair, alg: string, kid: string, roles: string[], claims: Record<string, unknown> = {}) {
  return new SignJWT(claimsFor(roles, claims)).setProtectedHeader({ alg, kid }).sign(pair.privateKey);
}

describe('RS256 with JWT_JWKS_FILE, ANONYMOUS_ROLE=none', () => {
  let server: ServerProcess;
  let folder: string;
  let rsa: KeyPair;
  let other: KeyPair;

  beforeAll(async () => {
    [rsa, other] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
    folder = mkdtempSync(path.join(tmpdir(), 'heroes-jwks-'));
    const file = path.join(folder, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [await publicJwk(rsa, 'rsa-1', 'RS256')] }));
    server = await startAccessServer({
      JWT_JWKS_FILE: file,
      ANONYMOUS_ROLE: 'none',
      NODE_ENV: 'production',
      GRAPHIQL: 'true',
    });
  }, 60_000);
  afterAll(async () => {
    await stopServer(server);
    rmSync(folder, { recursive: true, force: true });
  });

  it('refuses anonymous requests, reads and writes alike, with 401 before parsing', async () => {
    for (const body of [
      { query: '{ teams { totalCount } }' },
      { query: 'mutation { createTeam(input: { name: "Anonymous", headquarters: "x" }) { team { id } } }' },
      { query: '{ teams(' },
    ]) {
      const answer = await post(server, body);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(codesOf(answer)).toEqual(['UNAUTHENTICATED']);
    }
    // GraphiQL's page holds no data: it is served, and asks for a token in its headers tab.
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const viewer = await sign(rsa, 'RS256', 'rsa-1', ['viewer']);
    expect(data(await send(server, Teams, { name: 'Anonymous' }, viewer))).toEqual({ teams: { totalCount: 0 } });
  });

  it('accepts RS256 tokens of the set, with their roles', async () => {
    const editor = await sign(rsa, 'RS256', 'rsa-1', ['editor']);
    const created = data<{ createTeam: { team: { id: string } } }>(
      await send(server, CreateTeam, { name: 'Signed' }, editor),
    );
    const refused = await send(server, DeleteTeam, { id: created.createTeam.team.id }, editor);
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    const admin = await sign(rsa, 'RS256', 'rsa-1', ['admin']);
    const id = created.createTeam.team.id;
    expect(data(await send(server, DeleteTeam, { id }, admin))).toEqual({ deleteTeam: { deletedId: id } });
  });

  it('refuses tokens of other keys and algorithms', async () => {
    const tokens = [
      await sign(other, 'RS256', 'rsa-1', ['admin']), // the set's kid, another key
      await sign(other, 'RS256', 'rsa-2', ['admin']), // a kid the set does not have
      await hsToken(['admin']), // HS256: no secret is configured
    ];
    for (const token of tokens) {
      const answer = await send(server, CreateTeam, { name: 'Forged' }, token);
      expect(answer.status).toBe(401);
      expect(codesOf(answer)).toEqual(['UNAUTHENTICATED']);
    }
    const viewer = await sign(rsa, 'RS256', 'rsa-1', ['viewer']);
    expect(data(await send(server, Teams, { name: 'Forged' }, viewer))).toEqual({ teams: { totalCount: 0 } });
  });
});

describe('ES256 with JWT_JWKS_URL, development defaults', () => {
  let server: ServerProcess;
  let jwksServer: Server;
  let keys: JWK[] = [];
  let fetches = 0;
  let jwksDown = false;
  let first: KeyPair;
  let second: KeyPair;

  beforeAll(async () => {
    [first, second] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('ES256')]);
    keys = [await publicJwk(first, 'ec-1', 'ES256')];
    jwksServer = createServer((_request, response) => {
      fetches++;
      if (jwksDown) {
        response.writeHead(502).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    server = await startAccessServer({
      JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      // A token with an unknown kid refetches the set at once (30 s after the last fetch by default).
      JWT_JWKS_COOLDOWN_MS: '0',
      NODE_ENV: 'development',
      JWT_ISSUER: 'https://id.example',
    });
  }, 60_000);
  afterAll(async () => {
    await stopServer(server);
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  it('warns once at start that anonymous callers are admin, and lets them delete', async () => {
    const warnings = server.output().match(/anonymous callers are admin/gi) ?? [];
    expect(warnings).toHaveLength(1);
    const created = data<{ createTeam: { team: { id: string } } }>(await send(server, CreateTeam, { name: 'Open' }));
    const id = created.createTeam.team.id;
    expect(data(await send(server, DeleteTeam, { id }))).toEqual({ deleteTeam: { deletedId: id } });
  });

  it('fetches the set once, and again for a token of a key it does not know (rotation)', async () => {
    const iss = 'https://id.example';
    const before = await sign(first, 'ES256', 'ec-1', ['viewer'], { iss });
    const teams = { teams: { totalCount: expect.any(Number) } };
    expect(data(await send(server, Teams, {}, before))).toEqual(teams);
    expect(data(await send(server, Teams, {}, before))).toEqual(teams);
    expect(fetches).toBe(1);

    // The identity provider rotates: ec-2 replaces ec-1.
    keys = [await publicJwk(second, 'ec-2', 'ES256')];
    const after = await sign(second, 'ES256', 'ec-2', ['editor'], { iss });
    expect(data(await send(server, CreateTeam, { name: 'Rotated' }, after))).toEqual({
      createTeam: { team: { id: expect.any(String) } },
    });
    expect(fetches).toBe(2);

    // A token of the retired key is refused now; so is one of the new kid signed by another key.
    for (const token of [before, await sign(first, 'ES256', 'ec-2', ['admin'], { iss })]) {
      const answer = await send(server, Teams, {}, token);
      expect(answer.status).toBe(401);
      expect(codesOf(answer)).toEqual(['UNAUTHENTICATED']);
    }
    // The issuer is checked with a key set too.
    const stranger = await sign(second, 'ES256', 'ec-2', ['admin'], { iss: 'https://other.example' });
    expect(codesOf(await send(server, Teams, {}, stranger))).toEqual(['UNAUTHENTICATED']);
  });

  it('answers 503 AUTHENTICATION_UNAVAILABLE with Retry-After while the key set cannot be fetched, then checks again', async () => {
    const iss = 'https://id.example';
    const third = await generateKeyPair('ES256');
    const token = await sign(third, 'ES256', 'ec-3', ['viewer'], { iss });
    jwksDown = true;
    try {
      const answer = await send(server, Teams, {}, token);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(codesOf(answer)).toEqual(['AUTHENTICATION_UNAVAILABLE']);
      expect(server.output()).toMatch(/Cannot fetch the keys of JWT_JWKS_URL/);
    } finally {
      jwksDown = false;
    }
    // The set has the key now: the same token passes.
    keys = [await publicJwk(third, 'ec-3', 'ES256')];
    expect(data(await send(server, Teams, {}, token))).toEqual({ teams: { totalCount: expect.any(Number) } });
  });
});
