import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeIfAble } from './support/postgres-only';

// The documents of a Relay frontend (test/relay/documents), compiled by relay-compiler against
// schema.graphql as that frontend's build would: a schema change that breaks Relay clients (a
// field removed, renamed or retyped, an edge that no longer reads as an edge) fails here, in our
// suite, rather than in theirs.

const relayDir = path.resolve(__dirname, 'relay');
const schemaFile = path.resolve(__dirname, '../schema.graphql');

/** The binary relay-compiler ships for this platform, as its own cli.js finds it; null if none. */
const binary = require('relay-compiler') as string | null;

/**
 * Why the compiler cannot run on this machine, or null when it can. Only the platform is a reason
 * to skip: a binary missing where the package ships one is a broken install, and fails the suite.
 */
function unrunnable(): string | null {
  if (binary === null) return `relay-compiler ships no binary for ${process.platform}-${process.arch}`;
  if (!existsSync(binary)) throw new Error(`relay-compiler's binary ${binary} is missing: reinstall relay-compiler`);
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error) return `relay-compiler's binary (${binary}) cannot run here: ${probe.error.message}`;
  return null;
}

interface Compilation {
  status: number | null;
  /** stdout and stderr, without colours. */
  output: string;
  /** The generated artifacts, by file name. */
  artifacts: Map<string, string>;
}

/**
 * Compiles test/relay's documents against this SDL with test/relay/relay.config.json, all in a
 * temporary folder: the compiler reads copies and writes its artifacts there, never into the
 * repository.
 */
function compile(sdl: string): Compilation {
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-compiler-'));
  try {
    cpSync(path.join(relayDir, 'documents'), path.join(dir, 'documents'), {
      recursive: true,
      // Artifacts of a manual run of the compiler there are not documents.
      filter: (source) => path.basename(source) !== '__generated__',
    });
    writeFileSync(path.join(dir, 'schema.graphql'), sdl);
    mkdirSync(path.join(dir, 'artifacts'));
    const config = JSON.parse(readFileSync(path.join(relayDir, 'relay.config.json'), 'utf8')) as object;
    writeFileSync(
      path.join(dir, 'relay.config.json'),
      JSON.stringify({ ...config, src: './documents', schema: './schema.graphql', artifactDirectory: './artifacts' }),
    );
    const run = spawnSync(binary!, ['--noWatchman', 'relay.config.json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    if (run.error) throw run.error;
    const artifacts = new Map(
      readdirSync(path.join(dir, 'artifacts')).map((name) => [
        name,
        readFileSync(path.join(dir, 'artifacts', name), 'utf8'),
      ]),
    );
    return { status: run.status, output: `${run.stdout}${run.stderr}`, artifacts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SDL without one field of one object type (and the field's description). */
function withoutField(sdl: string, typeName: string, field: string): string {
  return sdl.replace(new RegExp(`^type ${typeName}\\b[^{]*\\{[\\s\\S]*?^\\}`, 'm'), (block) =>
    // A description is the one right above the field: it must not reach back over another `"""`.
    block.replace(new RegExp(`(\\n  """(?:(?!""")[\\s\\S])*"""|\\n  "[^"\\n]*")?\\n  ${field}\\b[^\\n]*`), ''),
  );
}

const skipReason = unrunnable();

describeIfAble(skipReason, 'relay-compiler', () => {
  const schema = readFileSync(schemaFile, 'utf8');

  it("compiles the frontend's documents against schema.graphql", () => {
    const { status, output, artifacts } = compile(schema);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('Compilation completed') });
    expect([...artifacts.keys()].sort()).toEqual(
      [
        'AddHeroToTeamMutation',
        'DeleteHeroMutation',
        'HeroPageQuery',
        'HeroTeamsPaginationQuery',
        'HeroTeams_hero',
        'RemoveHeroFromTeamMutation',
        'TeamHeroesPaginationQuery',
        'TeamHeroes_team',
        'TeamListPaginationQuery',
        'TeamListQuery',
        'TeamList_query',
        'TeamPageQuery',
      ].map((name) => `${name}.graphql.ts`),
    );
    // The directives became store updates: both edges appended, both ids deleted from the lists.
    const handles = (name: string) => artifacts.get(`${name}.graphql.ts`)!.match(/"handle": "\w+"/g);
    expect(handles('AddHeroToTeamMutation')).toEqual(['"handle": "appendEdge"', '"handle": "appendEdge"']);
    expect(handles('RemoveHeroFromTeamMutation')).toEqual(['"handle": "deleteEdge"', '"handle": "deleteEdge"']);
    expect(handles('DeleteHeroMutation')).toEqual(['"handle": "deleteRecord"']);
    // Both sides of the link are paginated connections, and the payload edges are typed.
    expect(artifacts.get('TeamHeroes_team.graphql.ts')).toContain('"name": "__TeamHeroes_heroes_connection"');
    expect(artifacts.get('HeroTeams_hero.graphql.ts')).toContain('"name": "__HeroTeams_teams_connection"');
    expect(artifacts.get('AddHeroToTeamMutation.graphql.ts')).toMatch(
      /readonly heroTeamsEdge: \{\s+readonly cursor: string;\s+readonly isTraining: boolean;\s+readonly joinedAt: string;/,
    );
  });

  it('fails, naming the field, against a schema without MembershipPayload.heroTeamsEdge', () => {
    const broken = withoutField(schema, 'MembershipPayload', 'heroTeamsEdge');
    // The edit took the field away, and only it.
    expect(broken).not.toContain('heroTeamsEdge');
    expect(broken).toContain('  teamHeroesEdge: TeamHeroesEdge!');
    expect(broken).toContain('type HeroTeamsEdge {');

    const { status, output, artifacts } = compile(broken);
    expect(status).not.toBe(0);
    expect(status).not.toBeNull();
    expect(output).toContain('The type `MembershipPayload` has no field `heroTeamsEdge`');
    expect(output).toContain('documents/AddHeroToTeamMutation.ts');
    expect(artifacts.size).toBe(0);
  });
});
