import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { explainPanelMarkup, explainPanelScript, explainPanelStyle } from '../graphql/explain-panel';

// GraphiQL as cacheable assets, all from @graphql-yoga/render-graphiql (installed here, never a
// CDN). Its own page inlines the whole bundle, about 9 MB of HTML on every load, uncompressible
// by a cache. Here the page is a few hundred bytes naming its scripts, styles, fonts and Monaco's
// workers by the hash of their content under /graphiql/: each is compressed once (brotli, gzip),
// sent with Cache-Control: immutable, and never asked for again while it is unchanged. The page
// itself is revalidated (ETag, 304). The fonts the stylesheet inlined as data: URLs become files,
// so that a browser fetches only the subsets (unicode ranges) the page uses.
//
// Brotli at its best (quality 11, a 16 MB window) is what brings a first load near 1.4 MB, but
// takes about 15 s of CPU for the 5 MB script: it runs on libuv's threads, once per machine (its
// output is kept in node_modules/.cache), and until it is done the assets go out gzipped.

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

const assetsPath = '/graphiql/';

/**
 * What the page may load: its own scripts, styles, fonts and workers, nothing from elsewhere; it
 * talks to its own origin only. Monaco adds <style> elements as it runs (style-src
 * 'unsafe-inline'; no script runs inline); small images stay data: URLs in the stylesheet.
 */
export const graphiqlContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  type: string;
  /** Its bytes: the package's own, or (Monaco's workers) made from them once, on first need. */
  body: () => Promise<Buffer>;
  /** The content's hash (for the workers, of what they are made from), in its name and the cache's. */
  hash: string;
  /** Compressed ahead of the first request for it (zlib runs off the event loop). */
  encoded: Encoded | null;
}

interface Encoded {
  gzip: Promise<Buffer>;
  br: Promise<Buffer>;
  /** Brotli's output once it is ready (before: gzip is sent instead). */
  brReady: Buffer | null;
}

/** What @graphql-yoga/render-graphiql/graphiql exports (its types need node16 module resolution). */
interface GraphiQLBundle {
  js: string;
  css: string;
  favicon: string;
  editorWorkerService: string;
  jsonWorker: string;
  graphqlWorker: string;
}

interface Built {
  assets: Map<string, Asset>;
  page: Buffer;
  etag: string;
}

/** Data URLs past this many characters become files (fonts); smaller ones (icons) stay inline. */
const INLINE_MAX = 4096;

const types: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  ico: 'image/x-icon',
  png: 'image/png',
  svg: 'image/svg+xml',
  ttf: 'font/ttf',
  woff: 'font/woff',
  woff2: 'font/woff2',
};

function extensionOf(mime: string): string {
  const sub = mime.split('/')[1] ?? 'bin';
  return sub === 'x-icon' ? 'ico' : sub.replace(/\+xml$/, '');
}

/** Escapes what could open an element or end an attribute in text put inside the page. */
function escapeHtml(text: string): string {
  return text.replace(/[<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function build(options: GraphiQLOptions): Built {
  // The bundle's module: 9 MB of strings, loaded only when GraphiQL is first asked for.
  const bundle = require('@graphql-yoga/render-graphiql/graphiql') as GraphiQLBundle;
  const assets = new Map<string, Asset>();
  const add = (name: string, extension: string, body: Buffer | Made): string => {
    const hash = createHash('sha256')
      .update(Buffer.isBuffer(body) ? body : body.from)
      .digest('base64url');
    const file = `${name}.${hash.slice(0, 16)}.${extension}`;
    let bytes: Promise<Buffer> | undefined;
    const made = () =>
      (bytes ??= Buffer.isBuffer(body) ? Promise.resolve(body) : cached(`${hash}.${extension}`, body.make));
    assets.set(file, { type: types[extension] ?? 'application/octet-stream', body: made, hash, encoded: null });
    return `${assetsPath}${file}`;
  };
  const fromDataUrl = (url: string, name: string): string | undefined => {
    const match = /^data:([a-z]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=]+)$/i.exec(url);
    if (!match) return undefined;
    return add(name, extensionOf(match[1]!), Buffer.from(match[2]!, 'base64'));
  };

  let fonts = 0;
  const css = bundle.css.replace(/url\((["']?)(data:[^)"']+)\1\)/g, (whole: string, _quote: string, url: string) => {
    if (url.length <= INLINE_MAX) return whole;
    const file = fromDataUrl(url, `asset-${fonts++}`);
    return file ? `url(${file})` : whole;
  });
  const stylesheet = add('graphiql', 'css', Buffer.from(css));
  const panelStyle = add('explain-panel', 'css', Buffer.from(explainPanelStyle));
  const worker = add('worker', 'js', monacoWorker(bundle));
  const main = add('graphiql', 'js', Buffer.from(bundle.js));
  // Monaco's three workers (its editors', JSON's, GraphQL's) run the one script, each started
  // under its label as Monaco starts them (a module worker named by the label); the page's
  // options are read from the page, which is revalidated, so that this script stays the same
  // whatever they are.
  const start = add(
    'start',
    'js',
    Buffer.from(`(() => {
  const worker = ${JSON.stringify(worker)};
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorker: (moduleId, label) => new Worker(worker, { name: label, type: 'module' }),
  };
  const options = JSON.parse(document.getElementById('graphiql-options').textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), options);
})();
${explainPanelScript}`),
  );
  const favicon =
    options.favicon ?? add('favicon', 'ico', oneIcon(Buffer.from(bundle.favicon.split(',')[1]!, 'base64'), 32));

  // JSON inside a <script> element: `<` escaped, so that no string in it can close the element.
  const json = JSON.stringify(options).replace(/</g, '\\u003c');
  const page = Buffer.from(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${escapeHtml(favicon)}" />
    <link rel="stylesheet" href="${stylesheet}" />
    <link rel="stylesheet" href="${panelStyle}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    ${explainPanelMarkup}
    <script type="application/json" id="graphiql-options">${json}</script>
    <script src="${main}"></script>
    <script src="${start}"></script>
  </body>
</html>
`);
  const etag = `"${createHash('sha256').update(page).digest('base64url').slice(0, 27)}"`;
  return { assets, page, etag };
}

/** Bytes made from others, once per machine (kept in the cache folder under their hash). */
interface Made {
  /** What they are made from, and how: the hash of this names them. */
  from: string;
  make: () => Promise<Buffer>;
}

/**
 * Monaco's workers as one script, minified. The package ships three, unminified, each carrying
 * Monaco's worker base (its text models, diff and link computation; 266 KB minified): the
 * editors' worker is that base alone, JSON's and GraphQL's add their language service. Here the
 * JSON and the GraphQL workers are minified (esbuild; from 559 + 860 + 1,298 KB to 398 + 633 KB)
 * and put one after the other: brotli, whose window spans the whole script, sends the second
 * copy of the base for little (189 KB for the script, against 98 + 151 KB for the two apart),
 * and a first load fetches it once for the three workers. Each bundle sets the worker's onmessage
 * to start its own service; the worker keeps GraphQL's when its name (Monaco's label) says
 * `graphql`, JSON's otherwise: the editors' worker runs on the JSON worker's copy of the base,
 * which never loads its JSON service (only Monaco's language clients ask for one).
 */
function monacoWorker(bundle: GraphiQLBundle): Made {
  // esbuild: loaded only here, when the workers are first asked for on this machine.
  const esbuild = require('esbuild') as typeof import('esbuild');
  const options = { minify: true, legalComments: 'none' } as const;
  const glue = (json: string, graphql: string) => `${json}
const jsonWorkerStart = self.onmessage;
${graphql}
if (self.name !== 'graphql') self.onmessage = jsonWorkerStart;
`;
  return {
    from: `esbuild ${esbuild.version} ${JSON.stringify(options)}\n${glue(bundle.jsonWorker, bundle.graphqlWorker)}`,
    make: async () => {
      const [json, graphql] = await Promise.all(
        [bundle.jsonWorker, bundle.graphqlWorker].map((code) => esbuild.transform(code, options)),
      );
      return Buffer.from(glue(json!.code, graphql!.code));
    },
  };
}

/**
 * An .ico of the one image `size` pixels wide from `ico` (Yoga's holds six sizes, 150 KB: a tab
 * shows 16 or 32), or `ico` itself when it has none of that size.
 */
function oneIcon(ico: Buffer, size: number): Buffer {
  const count = ico.readUInt16LE(4);
  for (let index = 0; index < count; index++) {
    const entry = 6 + 16 * index;
    if (ico[entry] !== size) continue;
    const length = ico.readUInt32LE(entry + 8);
    const offset = ico.readUInt32LE(entry + 12);
    const header = Buffer.from(ico.subarray(0, 6 + 16));
    header.writeUInt16LE(1, 4);
    ico.copy(header, 6, entry, entry + 16);
    header.writeUInt32LE(6 + 16, 6 + 12);
    return Buffer.concat([header, ico.subarray(offset, offset + length)]);
  }
  return ico;
}

const brotliParams = { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24 };

/**
 * Where brotli's outputs are kept between runs: node_modules/.cache, the usual place of tools'
 * caches, of the node_modules GraphiQL's package is installed in (the same from src/ and dist/).
 */
const cacheFolder = (() => {
  const installed = require.resolve('@graphql-yoga/render-graphiql');
  const modules = installed.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  return path.join(installed.slice(0, modules), 'node_modules', '.cache', 'graphiql-assets');
})();

/** Brotli's output for `asset`, from the cache or made (then kept there). */
function brotliOf(asset: Asset): Promise<Buffer> {
  return cached(`${asset.hash}.q11w24.br`, async () => {
    const body = await asset.body();
    return brotli(body, { params: { ...brotliParams, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } });
  });
}

/** The file `name` of the cache folder, or `make`'s output (then kept there when the folder can be written). */
async function cached(name: string, make: () => Promise<Buffer>): Promise<Buffer> {
  const file = path.join(cacheFolder, name);
  try {
    return await readFile(file);
  } catch {}
  const encoded = await make();
  try {
    await mkdir(cacheFolder, { recursive: true });
    // Written whole, then renamed: another process never reads half a file.
    const partial = `${file}.${process.pid}`;
    await writeFile(partial, encoded);
    await rename(partial, file);
  } catch {
    // A read-only install: kept in memory for this process only.
  }
  return encoded;
}

function compress(asset: Asset): Encoded {
  if (asset.encoded) return asset.encoded;
  const encoded: Encoded = {
    gzip: asset.body().then((body) => gzipped(body, { level: 9 })),
    br: brotliOf(asset),
    brReady: null,
  };
  encoded.br.then(
    (body) => (encoded.brReady = body),
    () => {},
  );
  // A failure (the workers' minifier) is the requests' to report, not an unhandled rejection.
  encoded.gzip.catch(() => {});
  return (asset.encoded = encoded);
}

/** The bytes to send for `asset` in `encoding`: brotli's once ready, gzip's until then (when the client takes gzip). */
function encodedBody(asset: Asset, encoding: 'br' | 'gzip', acceptsGzip: boolean): Promise<[Buffer, 'br' | 'gzip']> {
  const encoded = compress(asset);
  if (encoding === 'gzip') return encoded.gzip.then((body) => [body, 'gzip']);
  if (encoded.brReady) return Promise.resolve([encoded.brReady, 'br']);
  if (acceptsGzip) return encoded.gzip.then((body) => [body, 'gzip']);
  return encoded.br.then((body) => [body, 'br']);
}

/** Resolves once every asset GraphiQL has is compressed at its best (tests measure what a cached install sends). */
export function graphiqlAssetsCompressed(plugin: Plugin): Promise<void> {
  const prepared = preparedOf.get(plugin);
  if (!prepared) throw new Error('Not a plugin of useGraphiQL');
  return Promise.all([...prepared().assets.values()].map((asset) => compress(asset).br)).then(() => undefined);
}

const preparedOf = new WeakMap<Plugin, () => Built>();

/** The encodings the request's Accept-Encoding takes (q=0 refuses one). */
function acceptedEncodings(accept: string | null): { br: boolean; gzip: boolean } {
  const offered = new Map<string, number>();
  for (const part of (accept ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)).find(Boolean);
    if (name) offered.set(name, q ? Number(q[1]) : 1);
  }
  const wants = (name: string) => (offered.get(name) ?? offered.get('*') ?? 0) > 0;
  return { br: wants('br'), gzip: wants('gzip') };
}

/** A Buffer as a Response body (the DOM types want an ArrayBuffer-backed view). */
function bodyOf(buffer: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);
}

function isPageRequest(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
}

/**
 * Serves GraphiQL at `endpoint` to browsers (GET asking for text/html) and its assets under
 * /graphiql/. Before Yoga's own handling of the endpoint (its `graphiql` option stays off).
 */
export function useGraphiQL(endpoint: string, options: GraphiQLOptions): Plugin {
  let built: Built | undefined;
  const ready = () => {
    if (!built) {
      built = build(options);
      // Every asset is asked for on a first load: compressed now, while the page travels.
      for (const asset of built.assets.values()) compress(asset);
    }
    return built;
  };
  const plugin: Plugin = {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname === endpoint && isPageRequest(request)) {
        const { page, etag } = ready();
        const headers = {
          'content-type': 'text/html; charset=utf-8',
          // Always revalidated: the page names the assets of this version of the server.
          'cache-control': 'no-cache',
          etag,
          'content-security-policy': graphiqlContentSecurityPolicy,
        };
        const known = request.headers.get('if-none-match');
        if (known !== null && known.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
          endResponse(new fetchAPI.Response(null, { status: 304, headers }));
          return;
        }
        endResponse(new fetchAPI.Response(bodyOf(page), { status: 200, headers }));
        return;
      }
      if (!url.pathname.startsWith(assetsPath) || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      const asset = ready().assets.get(url.pathname.slice(assetsPath.length));
      if (!asset) {
        endResponse(new fetchAPI.Response('Not found\n', { status: 404, headers: { 'content-type': 'text/plain' } }));
        return;
      }
      const accepted = acceptedEncodings(request.headers.get('accept-encoding'));
      const encoding = accepted.br ? 'br' : accepted.gzip ? 'gzip' : null;
      const headers: Record<string, string> = {
        'content-type': asset.type,
        // The name changes with the content: a year, never revalidated.
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'Accept-Encoding',
        // Workers run under the policy of their own script's answer.
        'content-security-policy': graphiqlContentSecurityPolicy,
      };
      if (!encoding) {
        return asset.body().then((body) => endResponse(new fetchAPI.Response(bodyOf(body), { status: 200, headers })));
      }
      return encodedBody(asset, encoding, accepted.gzip).then(([body, sent]) =>
        endResponse(
          new fetchAPI.Response(bodyOf(body), { status: 200, headers: { ...headers, 'content-encoding': sent } }),
        ),
      );
    },
  };
  preparedOf.set(plugin, ready);
  return plugin;
}
