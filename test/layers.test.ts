import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `npm run check:layers` (in `npm run check`): the rules of .dependency-cruiser.cjs hold over
// src/, and each fails a copy of src/ given the import it forbids, type-only imports included.

const project = path.resolve(__dirname, '..');
const script = path.join(project, 'scripts', 'check-layers.mjs');

function checkLayers(cwd: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [script], { cwd, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

it('finds src/ in its layers', () => {
  const { status, output } = checkLayers(project);
  expect(output).toContain('no dependency violations found');
  expect(status).toBe(0);
});

describe('a copy of src/ with a forbidden import', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'layers-'));
    for (const file of ['.dependency-cruiser.cjs', 'tsconfig.json', 'prisma/schema.prisma']) {
      cpSync(path.join(project, file), path.join(root, file));
    }
    // Without the generated client (excluded from the rules): its imports stay unresolved.
    cpSync(path.join(project, 'src'), path.join(root, 'src'), {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}generated`),
    });
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const add = (file: string, line: string) => appendFileSync(path.join(root, file), `\n${line}\n`);

  it('fails on a cycle through type-only imports', () => {
    add('src/db/replica-routing.ts', "import type { Database } from './database';\nexport type Again = Database;");
    const { status, output } = checkLayers(root);
    expect(status).toBe(1);
    expect(output).toContain('error no-cycles: src/db/replica-routing.ts → src/db/database.ts');
  });

  it('fails on each import a rule forbids, naming the rule and the importer', () => {
    // [file, the import added to it, the rules it breaks]
    const forbidden: [string, string, string[]][] = [
      [
        'src/db/pools.ts',
        "import type { Context } from '../graphql/context';\nexport type Of = Context;",
        ['db-stays-below', 'no-cycles'],
      ],
      ['src/config.ts', "import './ops/logger';", ['config-imports-nothing']],
      ['src/ops/metrics.ts', "import '../db/failures';", ['ops-imports-only-config']],
      ['src/errors/codes.ts', "import '../config';", ['errors-import-nothing-above']],
      ['src/schema/shared.ts', "import '../http/health';", ['schema-never-imports-http']],
      ['src/links/registry.ts', "import '../schema/shared';", ['links-stay-below-the-api']],
      ['src/realtime/events.ts', "import '../server';", ['nothing-imports-the-entry-point']],
    ];
    for (const [file, line] of forbidden) add(file, line);
    const { status, output } = checkLayers(root);
    expect(status).toBe(1);
    for (const [file, , rules] of forbidden) {
      for (const rule of rules) expect(output).toContain(`error ${rule}: ${file}`);
    }
  });

  it('fails when src/links names an entity outside a comment, not inside one', () => {
    add('src/links/checks.ts', '// A hero and a Team, named in a comment: allowed.');
    const clean = checkLayers(root);
    expect(clean.output).toContain('src/links names no entity');
    expect(clean.status).toBe(0);
    add('src/links/checks.ts', "export const teamTable = 'Team';");
    const { status, output } = checkLayers(root);
    expect(status).toBe(1);
    expect(output).toContain('src/links/checks.ts: teamTable');
    expect(output).toContain('src/links/checks.ts: Team');
  });
});
