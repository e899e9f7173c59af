import { existsSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { type Browser, chromium, type Page } from 'playwright-core';
import { config } from '../src/config';
import { withHttpLayers } from '../src/http/layers';
import { graphiqlAssetsCompressed } from '../src/http/graphiql';
import { graphiql, yoga } from '../src/graphql/yoga';
import { resetDatabase } from './support/factories';
import { startHttpServer, type TestServer } from './support/http-server';
import { describeIfAble } from './support/postgres-only';

// GraphiQL as a newcomer meets it: the page served at /graphql, in Chromium, against the server on
// a real port, behind the same HTTP layers as src/server.ts (headers, compression). The page must
// work offline: a request to any other origin fails the test (and is aborted, so nothing leaves
// the machine), as does any console error (a script or style its Content-Security-Policy refused).

const browserPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(browserPath);
if (!haveBrowser) {
  // .ci/run installs Chromium: there (CI, or REQUIRE_BROWSER), a missing browser is a failure.
  if (process.env.REQUIRE_BROWSER)
    throw new Error(`REQUIRE_BROWSER is set, but there is no Chromium at ${browserPath}`);
}

// Debian's Chromium, quiet: no sandbox (CI runs as root), and none of its calls home, so that
// only the page's own requests reach the network.
const browserArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Watched {
  page: Page;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  /** Requests the page made to any origin but the server's. */
  elsewhere: string[];
}

/** Resolves once `done()` holds, checked every 50 ms; fails naming `what` after 15 s. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !done(); waited += 50) {
    if (waited > 15_000) throw new Error(`Still waiting for ${what} after 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** About the bytes of an answer's status line and headers. */
function headerBytes(response: ServerResponse): number {
  let bytes = 'HTTP/1.1 200 OK\r\n\r\n'.length;
  for (const [name, value] of Object.entries(response.getHeaders())) bytes += `${name}: ${String(value)}\r\n`.length;
  return bytes;
}

describeIfAble(
  haveBrowser ? null : `no Chromium at ${browserPath} (apt-get install chromium, or CHROMIUM_PATH)`,
  'GraphiQL in Chromium',
  () => {
    let browser: Browser;
    let server: TestServer;
    let origin: string;
    /** The headers of every POST the server received, in order. */
    const posted: IncomingHttpHeaders[] = [];
    /** The path of every GET the server received, in order. */
    const received: string[] = [];
    /** Bytes the server sent (headers and bodies, as compressed), in all. */
    let sentBytes = 0;
    /** Requests the server has not finished answering. */
    let inFlight = 0;

    beforeAll(async () => {
      await resetDatabase({ seed: true });
      const handler = withHttpLayers(yoga, config);
      server = await startHttpServer((request, response) => {
        if (request.method === 'POST') posted.push(request.headers);
        if (request.method === 'GET') received.push(request.url ?? '');
        inFlight += 1;
        response.once('close', () => (inFlight -= 1));
        // Counted under the compression (which writes through these): what goes on the wire.
        const { write, end } = response;
        const count = (chunk: unknown) => {
          if (typeof chunk === 'string' || chunk instanceof Uint8Array) sentBytes += Buffer.byteLength(chunk);
        };
        response.write = function (this: typeof response, chunk: unknown, ...rest: unknown[]) {
          if (!this.headersSent) sentBytes += headerBytes(this);
          count(chunk);
          return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
        } as typeof response.write;
        response.end = function (this: typeof response, chunk?: unknown, ...rest: unknown[]) {
          if (!this.headersSent) sentBytes += headerBytes(this);
          if (typeof chunk !== 'function') count(chunk);
          return (end as (...args: unknown[]) => typeof response).call(this, chunk, ...rest);
        } as typeof response.end;
        handler(request, response);
      }, {});
      origin = `http://127.0.0.1:${server.port}`;
      // As a machine that ran GraphiQL once has them (node_modules/.cache): brotli at its best,
      // made here after a fresh install (about 15 s of CPU).
      await graphiqlAssetsCompressed(graphiql!);
      // Playwright gives each launch a fresh, temporary user-data-dir: no tabs or queries remembered.
      browser = await chromium.launch({ executablePath: browserPath, args: browserArgs });
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    /**
     * A new page (in a context of its own, so nothing is shared between tests) with GraphiQL
     * loaded. Requests to other origins are aborted; with `cache`, only recorded (Playwright's
     * routing, which aborts them, turns the browser's HTTP cache off).
     */
    async function openGraphiQL({ cache = false } = {}): Promise<Watched> {
      // Tall enough that the whole answer of the default query is rendered: Monaco draws only the
      // lines in view.
      const context = await browser.newContext({ viewport: { width: 1400, height: 2400 } });
      const page = await context.newPage();
      // Under Jest's 30 s per test, so that a step that never happens is named in the failure.
      page.setDefaultTimeout(15_000);
      const watched: Watched = { page, errors: [], elsewhere: [] };
      page.on('console', (message) => {
        if (message.type() === 'error') watched.errors.push(message.text());
      });
      page.on('pageerror', (error) => watched.errors.push(error.message));
      // The labels of the workers the page starts (Monaco names each worker by its label).
      await context.addInitScript(() => {
        const started: string[] = [];
        const Native = globalThis.Worker;
        Object.assign(globalThis, {
          startedWorkers: started,
          Worker: class extends Native {
            constructor(url: string | URL, options?: WorkerOptions) {
              super(url, options);
              started.push(options?.name ?? '');
            }
          },
        });
      });
      const elsewhere = (url: string) => !url.startsWith(`${origin}/`);
      if (cache) {
        context.on('request', (request) => {
          if (elsewhere(request.url())) watched.elsewhere.push(request.url());
        });
      } else {
        await context.route(
          (url) => elsewhere(url.href),
          (route) => {
            watched.elsewhere.push(route.request().url());
            return route.abort();
          },
        );
      }
      await page.goto(`${origin}/graphql`);
      await page.locator('.graphiql-execute-button').waitFor();
      return watched;
    }

    async function close({ page, errors, elsewhere }: Watched) {
      await page.context().close();
      expect(elsewhere).toEqual([]);
      expect(errors).toEqual([]);
    }

    const response = (page: Page) => page.locator('.graphiql-response');

    it('runs the default query and shows the teams with their heroes and the link fields', async () => {
      const watched = await openGraphiQL();
      const { page } = watched;
      await page.locator('.graphiql-execute-button').click();
      await response(page).filter({ hasText: 'Z-Force' }).waitFor();
      // Monaco renders spaces as U+00A0.
      const shown = (await response(page).innerText()).replace(/\u00a0/g, ' ');
      for (const text of ['"name": "Preventers"', '"name": "Z-Force"', '"name": "Deadpond"', '"name": "Spider-Boy"']) {
        expect(shown).toContain(text);
      }
      expect(shown).toContain('"isTraining": true');
      expect(shown).toMatch(/"joinedAt": "\d{4}-\d\d-\d\dT/);
      expect(shown).not.toContain('"errors"');
      await close(watched);
    });

    it('loads in at most 1.5 MB on the wire (compressed, cacheable assets), a reload fetches no asset, and the page revalidates with a 304', async () => {
      // What the pages of the tests before asked for is done (a worker may still be on its way).
      await until(() => inFlight === 0, 'the answers to the pages before');
      const sentBefore = sentBytes;
      const askedBefore = received.length;
      const watched = await openGraphiQL({ cache: true });
      const { page } = watched;
      // Monaco starts its three workers on a first load: its editors', JSON's (variables, headers,
      // the response) and GraphQL's (the query's diagnostics), each from the one worker script.
      await page.waitForFunction(() => {
        const labels = (globalThis as unknown as { startedWorkers: string[] }).startedWorkers;
        return ['editorWorkerService', 'json', 'graphql'].every((label) => labels.includes(label));
      });
      // Fonts load lazily, when text first needs them: wait for them, so they count in the load.
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      // Then until the server has answered everything and been asked nothing for half a second.
      for (let seen = -1; seen !== received.length;) {
        seen = received.length;
        await until(() => inFlight === 0, 'the answers of the first load');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const asked = received.slice(askedBefore);
      // About 1.44 MB: the script 1.12 MB (brotli 11; 5.3 MB as sent inline before), Monaco's
      // workers' one script 0.19 MB (0.43 MB as three unminified scripts), fonts 0.09 MB, the
      // stylesheet 0.03 MB, the schema's introspection 0.01 MB. Inline, uncompressed, it was 9 MB
      // (docs/security.md, per asset).
      expect(sentBytes - sentBefore).toBeLessThanOrEqual(1_500_000);
      // The workers Monaco starts (five here: its editors', GraphQL's and three of JSON's) fetched the
      // script once.
      expect(asked.filter((path) => /^\/graphiql\/worker\.[\w-]+\.js$/.test(path))).toHaveLength(1);
      for (const path of asked.filter((path) => path.startsWith('/graphiql/'))) {
        const answer = await fetch(`${origin}${path}`, { headers: { 'accept-encoding': 'br, gzip' } });
        expect(answer.headers.get('cache-control')).toContain('immutable');
        expect(answer.headers.get('content-encoding')).toBe('br');
      }

      const askedBeforeReload = received.length;
      await page.reload();
      await page.locator('.graphiql-execute-button').waitFor();
      // The page is revalidated: with its ETag the server answers 304, without a body. (Headless
      // Chromium reloads it without If-None-Match, so the ETag is sent here.)
      const first = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
      const etag = first.headers.get('etag');
      expect(first.headers.get('cache-control')).toBe('no-cache');
      const again = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html', 'if-none-match': etag! } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      // The assets come from the browser's cache, unasked (immutable): the server saw none of
      // those the first load fetched again. (One the first load never needed, e.g. a font a
      // lazily rendered glyph asks for late, would be a first fetch, not a miss of the cache.)
      const fetchedFirst = new Set(asked.filter((path) => path.startsWith('/graphiql/')));
      expect(fetchedFirst.size).toBeGreaterThan(0);
      expect(received.slice(askedBeforeReload).filter((path) => fetchedFirst.has(path))).toEqual([]);
      await close(watched);
    });

    it('opens the docs explorer on the schema, with the link described on Team.heroes', async () => {
      const watched = await openGraphiQL();
      const { page } = watched;
      await page.getByLabel('Show Documentation Explorer').click();
      const docs = page.locator('.graphiql-doc-explorer');
      await docs.getByText('Query', { exact: true }).click();
      await docs.getByText('All teams, filtered and ordered.').waitFor();
      await docs.getByText('QueryTeamsConnection', { exact: true }).click();
      await docs.getByText('QueryTeamsEdge', { exact: true }).click();
      await docs.getByText('Team', { exact: true }).click();
      await docs.getByText('The heroes in this team, through HeroTeamLink.').waitFor();
      await close(watched);
    });

    it('sends the headers written in the headers editor with the query', async () => {
      const watched = await openGraphiQL();
      const { page } = watched;
      await page.getByText('Headers', { exact: true }).click();
      await page.locator('.graphiql-editor-tool [data-uri$="headers.json"]').click();
      // insertText types no keys, so the editor adds no closing quotes or braces of its own.
      await page.keyboard.insertText('{"x-graphiql-test": "from the headers editor"}');
      const sent = posted.length;
      await page.locator('.graphiql-execute-button').click();
      await response(page).filter({ hasText: 'Preventers' }).waitFor();
      const withHeader = posted.slice(sent).filter((headers) => headers['x-graphiql-test']);
      expect(withHeader.map((headers) => headers['x-graphiql-test'])).toEqual(['from the headers editor']);
      await close(watched);
    });
  },
);
