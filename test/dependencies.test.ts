import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Prisma } from '../src/generated/prisma/client';
import { schemaEngineVersion } from '../src/db/migrations';

const project = path.resolve(__dirname, '..');
const packageJson = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

/**
 * The folder of package `name` as Node finds it from the folder `from` (the project by default):
 * the nearest node_modules/<name> on the way up. (Resolving an entry would depend on each
 * package's `exports`.)
 */
function packageDir(name: string, from = project): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) throw new Error(`${name} is not installed where ${from} can find it`);
  }
}

function installedVersion(name: string, from = project): string {
  return (JSON.parse(readFileSync(path.join(packageDir(name, from), 'package.json'), 'utf8')) as { version: string })
    .version;
}

// `npm run check:deps` (in `npm run check`), run with its own flags over a small project made for the test.
describe('the dependency guard (knip)', () => {
  let root: string;
  const knip = path.join(project, 'node_modules', 'knip', 'bin', 'knip.js');
  // Each knip command of the script, its arguments as written there.
  const commands = packageJson.scripts['check:deps']!.split('&&').map((command) => command.trim().split(/\s+/));

  function write(files: Record<string, string>) {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
  }

  /** Each knip run of check:deps: its exit status and what it reports, as `type name`. */
  function guard(): { status: number | null; issues: string[] }[] {
    return commands.map(([bin, ...args]) => {
      expect(bin).toBe('knip');
      const result = spawnSync(process.execPath, [knip, ...args, '--reporter', 'json'], {
        cwd: root,
        encoding: 'utf8',
      });
      const report = JSON.parse(result.stdout) as { issues: Record<string, { name: string }[] | string>[] };
      const issues = report.issues.flatMap((entry) =>
        Object.entries(entry).flatMap(([type, found]) =>
          Array.isArray(found) ? found.map(({ name }) => `${type} ${name}`) : [],
        ),
      );
      return { status: result.status, issues: issues.sort() };
    });
  }

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'dependency-guard-'));
    write({
      'knip.jsonc': JSON.stringify({ entry: ['src/server.ts!', 'test/*.ts'] }),
      'package.json': JSON.stringify({
        name: 'fixture',
        private: true,
        scripts: { start: 'node src/server.js' },
        dependencies: { graphql: '16.11.0' },
        devDependencies: { autocannon: '9.0.0' },
      }),
      'src/server.ts': "import { parse } from 'graphql';\nconsole.log(parse);\n",
      'test/load.ts': "import autocannon from 'autocannon';\nconsole.log(autocannon);\n",
    });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('passes a project whose imports and declarations agree', () => {
    expect(guard()).toEqual([
      { status: 0, issues: [] },
      { status: 0, issues: [] },
    ]);
  });

  it('fails on an undeclared import', () => {
    write({
      'src/server.ts':
        "import { parse } from 'graphql';\nimport { jwtVerify } from 'jose';\nconsole.log(parse, jwtVerify);\n",
    });
    expect(guard()).toEqual([
      { status: 1, issues: ['unlisted jose'] },
      { status: 1, issues: ['unlisted jose'] },
    ]);
  });

  it('fails on an unused dependency', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    manifest.dependencies['left-pad'] = '1.3.0';
    write({ 'package.json': JSON.stringify(manifest) });
    expect(guard()).toEqual([
      { status: 1, issues: ['dependencies left-pad'] },
      { status: 1, issues: ['dependencies left-pad'] },
    ]);
  });

  it("fails when the server's code imports a devDependency, which a production install leaves out", () => {
    write({ 'src/server.ts': "import autocannon from 'autocannon';\nconsole.log(autocannon);\n" });
    const [all, production] = guard();
    expect(all).toEqual({ status: 1, issues: ['dependencies graphql'] });
    expect(production).toEqual({ status: 1, issues: ['dependencies graphql', 'unlisted autocannon'] });
  });
});

// One engine build (a prisma-engines commit) between the Prisma CLI, the generated client, the
// client's query compiler and the WebAssembly schema engine that src/db/migrations.ts drives
// through its internals; and one release of Prisma's packages, the adapters' included. Upgrading
// is described in docs/dependencies.md ("Prisma in step").
describe('Prisma packages in step', () => {
  const cli = packageDir('prisma');
  const engines = packageDir('@prisma/engines', cli);
  // The engine build the Prisma CLI generates with (`prisma version` prints it as "Default Engines Hash").
  const cliEngine = (
    JSON.parse(readFileSync(path.join(packageDir('@prisma/engines-version', engines), 'package.json'), 'utf8')) as {
      prisma: { enginesVersion: string };
    }
  ).prisma.enginesVersion;

  it('the schema engine the migrations run is the build of the CLI and of the client', async () => {
    expect(cliEngine).toMatch(/^[0-9a-f]{40}$/);
    expect(await schemaEngineVersion()).toBe(cliEngine);
    expect(installedVersion('@prisma/schema-engine-wasm')).toBe(installedVersion('@prisma/engines-version', engines));
    // The generated client records the engine of the CLI that generated it.
    expect(Prisma.prismaVersion.engine).toBe(cliEngine);
    // The query compiler inside @prisma/client's runtime is built from one engine commit too.
    const client = JSON.parse(readFileSync(path.join(packageDir('@prisma/client'), 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(client.devDependencies['@prisma/query-compiler-wasm']).toMatch(new RegExp(`\\.${cliEngine}$`));
  });

  it('one release of the Prisma packages, the adapters and their driver-adapter-utils included', () => {
    const release = installedVersion('prisma');
    expect({
      client: installedVersion('@prisma/client'),
      generatedClient: Prisma.prismaVersion.client,
      engines: installedVersion('@prisma/engines', cli),
      adapterPg: installedVersion('@prisma/adapter-pg'),
      driverAdapterUtils: installedVersion('@prisma/driver-adapter-utils'),
      ofAdapterPg: installedVersion('@prisma/driver-adapter-utils', packageDir('@prisma/adapter-pg')),
      ofPglite: installedVersion('@prisma/driver-adapter-utils', packageDir('pglite-prisma-adapter')),
    }).toEqual({
      client: release,
      generatedClient: release,
      engines: release,
      adapterPg: release,
      driverAdapterUtils: release,
      ofAdapterPg: release,
      ofPglite: release,
    });
  });
});
