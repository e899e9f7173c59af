import { request as httpRequest } from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import { hsToken, secret, startAccessServer, stopServer } from './support/access';
import type { ServerProcess } from './support/server-process';

// A production server (NODE_ENV=production, ANONYMOUS_ROLE=viewer) as a security review probes it,
// once with the defaults and once with each setting turned the other way: each test checks both,
// so that it fails if the setting stops doing what it says.

const foreign = 'https://evil.example';
const metricsToken = 'a-scraper-secret-of-some-length';

let defaults: ServerProcess;
let configured: ServerProcess;
let viewer: string;

beforeAll(async () => {
  viewer = await hsToken(['viewer']);
  const production = { NODE_ENV: 'production', ANONYMOUS_ROLE: 'viewer', JWT_SECRET: secret };
  [defaults, configured] = await Promise.all([
    startAccessServer(production),
    startAccessServer({
      ...production,
      CORS_ORIGINS: `${foreign},https://app.example`,
      CORS_CREDENTIALS: 'true',
      INTROSPECTION: 'on',
      GRAPHIQL: 'true',
      METRICS_PORT: '0',
      METRICS_TOKEN: metricsToken,
      COMPRESSION: 'false',
      LOG_LEVEL: 'info',
    }),
  ]);
}, 150_000);

afterAll(async () => {
  await Promise.all([stopServer(defaults), stopServer(configured)]);
});

/** An answer as sent: headers and body bytes, not decompressed (fetch would inflate them). */
function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(init.body);
  });
}

function graphql(server: ServerProcess, query: string, headers: Record<string, string> = {}) {
  return raw(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
}

function preflight(server: ServerProcess, origin: string) {
  return raw(`${server.url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization',
    },
  });
}

it('CORS: refuses a preflight from a foreign origin unless CORS_ORIGINS names it; credentials only with CORS_CREDENTIALS', async () => {
  const refused = await preflight(defaults, foreign);
  expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  expect(refused.headers['access-control-allow-credentials']).toBeUndefined();
  // Nor does an answer to a request it sends anyway name it.
  const answer = await graphql(defaults, '{ __typename }', { origin: foreign });
  expect(answer.headers['access-control-allow-origin']).toBeUndefined();

  const allowed = await preflight(configured, foreign);
  expect(allowed.headers['access-control-allow-origin']).toBe(foreign);
  expect(allowed.headers['access-control-allow-credentials']).toBe('true');
  expect(allowed.headers['access-control-allow-headers']).toContain('authorization');
  // Another origin than the ones named gets nothing.
  expect((await preflight(configured, 'https://other.example')).headers['access-control-allow-origin']).toBeUndefined();
});

it('introspection: refused to anonymous callers (INTROSPECTION=authenticated), answered with a token or INTROSPECTION=on', async () => {
  const query = '{ __schema { types { name } } }';
  const anonymous = JSON.parse((await graphql(defaults, query)).body.toString());
  expect(anonymous.data).toBeUndefined();
  expect(anonymous.errors[0].message).toMatch(/introspection/i);
  // A bad token is refused before the document is read.
  expect((await graphql(defaults, query, { authorization: 'Bearer not.a.token' })).status).toBe(401);
  const withToken = JSON.parse((await graphql(defaults, query, { authorization: `Bearer ${viewer}` })).body.toString());
  expect(withToken.data.__schema.types.length).toBeGreaterThan(20);
  // Not just the __schema field: __type and __typename are introspection too, the first refused.
  const type = JSON.parse((await graphql(defaults, '{ __type(name: "Hero") { name } }')).body.toString());
  expect(type.errors?.[0]?.message).toMatch(/introspection/i);

  const open = JSON.parse((await graphql(configured, query)).body.toString());
  expect(open.data.__schema.types.length).toBeGreaterThan(20);
});

it('GraphiQL: not served in production unless GRAPHIQL=true', async () => {
  const page = (server: ServerProcess) => raw(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
  const off = await page(defaults);
  expect(off.headers['content-type'] ?? '').not.toMatch(/text\/html/);
  expect(off.body.toString()).not.toContain('<div id="root">');

  const on = await page(configured);
  expect(on.status).toBe(200);
  expect(on.headers['content-type']).toMatch(/^text\/html/);
  expect(on.body.toString()).toContain('<div id="root">');
});

it('/metrics: not on the public port; on METRICS_PORT (127.0.0.1), with METRICS_TOKEN as a bearer token', async () => {
  for (const server of [defaults, configured]) {
    const answer = await raw(`${server.url}/metrics`);
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).not.toContain('# TYPE');
  }
  expect(defaults.output()).toMatch(/Metrics are not served/);

  const url = /Metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(configured.output())?.[1];
  expect(url).toBeDefined();
  expect((await raw(url!)).status).toBe(401);
  expect((await raw(url!, { headers: { authorization: 'Bearer not-the-token-at-all!' } })).status).toBe(401);
  const scraped = await raw(url!, { headers: { authorization: `Bearer ${metricsToken}` } });
  expect(scraped.status).toBe(200);
  expect(scraped.body.toString()).toContain('# TYPE graphql_request_duration_seconds histogram');
});

it('METRICS_PORT answers the probes too (/live, /ready, /health), with the security headers, and nothing else', async () => {
  const url = new URL(/Metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(configured.output())![1]!);
  for (const path of ['/live', '/ready', '/health']) {
    const answer = await raw(new URL(path, url).href);
    expect({ path, status: answer.status }).toEqual({ path, status: 200 });
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
  }
  for (const path of ['/graphql', '/', '/live/more']) {
    expect({ path, status: (await raw(new URL(path, url).href)).status }).toEqual({ path, status: 404 });
  }
  expect((await raw(new URL('/live', url).href, { method: 'POST' })).status).toBe(404);
});

it('sends the security headers on every answer: nosniff, a CSP that forbids framing, no referrer', async () => {
  for (const answer of [
    await graphql(defaults, '{ teams(first: 1) { totalCount } }'),
    await graphql(defaults, '{ nope }'),
    await raw(`${defaults.url}/live`),
    await raw(`${defaults.url}/nowhere`),
    await preflight(defaults, foreign),
  ]) {
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
    expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
  }
  // GraphiQL's page: its own assets only, nothing from elsewhere, no inline script.
  const page = await raw(`${configured.url}/graphql`, { headers: { accept: 'text/html' } });
  const csp = String(page.headers['content-security-policy']);
  expect(csp).toContain("script-src 'self';");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/https?:|\*/);
  expect(page.headers['x-content-type-options']).toBe('nosniff');
});

it('compresses answers past the threshold when the client asks (gzip or br); COMPRESSION=false sends them as they are', async () => {
  const token = { authorization: `Bearer ${viewer}` };
  const big = getIntrospectionQuery();
  for (const encoding of ['gzip', 'br']) {
    const answer = await graphql(defaults, big, { ...token, 'accept-encoding': encoding });
    expect(answer.headers['content-encoding']).toBe(encoding);
    expect(answer.headers.vary).toMatch(/Accept-Encoding/i);
  }
  const plain = await graphql(defaults, big, token);
  expect(plain.headers['content-encoding']).toBeUndefined();
  const gzipped = await graphql(defaults, big, { ...token, 'accept-encoding': 'gzip' });
  expect(gzipped.body.length).toBeLessThan(plain.body.length / 4);
  // A small answer is not worth it.
  const small = await graphql(defaults, '{ __typename }', { 'accept-encoding': 'gzip' });
  expect(small.headers['content-encoding']).toBeUndefined();

  const off = await graphql(configured, big, { 'accept-encoding': 'gzip, br' });
  expect(off.headers['content-encoding']).toBeUndefined();
  expect(JSON.parse(off.body.toString()).data.__schema).toBeDefined();
});
