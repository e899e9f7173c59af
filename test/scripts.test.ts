import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jwtVerify } from 'jose';

// The scripts a developer runs by hand, run here as they are run (what CI does not run rots):
// npm run token, npm run schema:print -- --check, the stamp of bench/provenance.ts and
// bench/figures.ts --check. The bench's load scripts have their smoke runs in .ci/run.

const root = path.resolve(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

function run(script: string, args: string[], env: Record<string, string | undefined> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(JWT_|ANONYMOUS_ROLE)/.test(name)),
  );
  const result = spawnSync(tsx, [script, ...args], {
    cwd: root,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run token (scripts/token.ts)', () => {
  const secret = 'a-development-secret-of-at-least-32-characters';

  it('prints a token the server would accept: its roles, subject, issuer and audience, signed with JWT_SECRET', async () => {
    const env = {
      JWT_SECRET: secret,
      JWT_ISSUER: 'heroes-dev',
      JWT_AUDIENCE: 'heroes-api, other',
      JWT_ROLES_CLAIM: 'groups',
    };
    const printed = run('scripts/token.ts', ['--role', 'editor', '--role', 'viewer,pilot', '--sub', 'alice'], env);
    expect(printed.status).toBe(0);
    expect(printed.stderr).toContain('"pilot" is not a role this server knows');
    const { payload } = await jwtVerify(printed.stdout.trim(), new TextEncoder().encode(secret), {
      issuer: 'heroes-dev',
      audience: 'heroes-api',
    });
    expect(payload).toMatchObject({ groups: ['editor', 'viewer', 'pilot'], sub: 'alice' });
    expect(payload.exp! - payload.iat!).toBe(8 * 3600);
  }, 60_000);

  it('without JWT_SECRET: exits 1 saying how to set one', () => {
    const printed = run('scripts/token.ts', []);
    expect(printed.status).toBe(1);
    expect(printed.stderr).toContain('npm run token signs with JWT_SECRET, which is not set');
  }, 60_000);
});

it('npm run schema:print -- --check (scripts/print-schema.ts): schema.graphql is current', () => {
  const printed = run('scripts/print-schema.ts', ['--check']);
  expect({ status: printed.status, stderr: printed.stderr }).toEqual({ status: 0, stderr: '' });
}, 60_000);

it("bench/figures.ts --check: the documentation's figures are their reports'", () => {
  const checked = run('bench/figures.ts', ['--check']);
  expect({ status: checked.status, stderr: checked.stderr }).toEqual({ status: 0, stderr: '' });
}, 60_000);

it('bench/provenance.ts -- <command>: stamps the reports the command wrote, and only those', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heroes-provenance-'));
  try {
    writeFileSync(path.join(dir, 'old.md'), '# Old\n\nuntouched\n');
    const write = "require('fs').writeFileSync(process.env.REPORT, '# Made\\n\\n| a |\\n| --- |\\n| 1 |\\n')";
    const stamped = run('bench/provenance.ts', ['--', process.execPath, '-e', write], {
      BENCH_RESULTS_DIR: dir,
      REPORT: path.join(dir, 'made.md'),
    });
    expect(stamped.status).toBe(0);
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
    const made = readFileSync(path.join(dir, 'made.md'), 'utf8').split('\n');
    const quoted = `'${write.replace(/'/g, "'\\''")}'`;
    expect(made.slice(0, 3)).toEqual(['# Made', '', `- Command: \`${process.execPath} -e ${quoted}\``]);
    expect(made[3]).toMatch(new RegExp(`^- Commit: ${head}( \\(clean\\)| plus uncommitted changes to .+)$`));
    expect(made.slice(5)).toEqual(['', '| a |', '| --- |', '| 1 |', '']);
    expect(readFileSync(path.join(dir, 'old.md'), 'utf8')).toBe('# Old\n\nuntouched\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
