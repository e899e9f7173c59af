import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The link check `npm run check:links` runs (remark-cli with .remarkrc.mjs: remark-validate-links
// and scripts/remark-links-inside.mjs), run the same way over a repository made for the test.

const project = path.resolve(__dirname, '..');
// remark-cli exports no path to its bin: the file its package.json's `bin` names.
const remarkCli = path.join(project, 'node_modules', 'remark-cli', 'cli.js');

/** The problems remark reports, as `file:line rule target-or-message`, and its exit status. */
function checkLinks(root: string, ...args: string[]): { status: number | null; problems: string[] } {
  const result = spawnSync(
    process.execPath,
    [
      remarkCli,
      '.',
      '--rc-path',
      path.join(project, '.remarkrc.mjs'),
      '--frail',
      '--quiet',
      '--no-stdout',
      '--no-color',
      ...args,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  const problems: string[] = [];
  let file = '';
  for (const line of `${result.stdout}${result.stderr}`.split('\n')) {
    const report = /^\s*(\d+):\d+(?:-\d+:\d+)?\s+(?:warning|error)\s+(.*?)\s+(\S+)\s+\S+\s*$/.exec(line);
    if (report) problems.push(`${file}:${report[1]} ${report[3]} ${report[2]}`);
    else if (/^\S+\.md$/.test(line.trim())) file = line.trim();
  }
  return { status: result.status, problems };
}

describe('relative links in Markdown', () => {
  let outer: string;
  let root: string;
  beforeAll(() => {
    outer = mkdtempSync(path.join(tmpdir(), 'markdown-links-'));
    root = path.join(outer, 'repo');
    mkdirSync(path.join(root, 'bench'), { recursive: true });
    mkdirSync(path.join(root, 'docs'));
    mkdirSync(path.join(outer, 'shared'));
    // Next to the repository, as on a machine where a link out of it happens to resolve.
    writeFileSync(path.join(outer, 'shared', 'BENCHMARK.md'), '# Benchmark\n');
    writeFileSync(
      path.join(root, 'bench', 'README.md'),
      '# Benchmark\n\n## The queries\n\n[up](../README.md#quick-start)\n',
    );
    writeFileSync(
      path.join(root, 'docs', 'guide.md'),
      '# Guide\n\n[home](../README.md#quick-start), [gone](../README.md#gone), [out](../../shared/BENCHMARK.md)\n',
    );
    writeFileSync(
      path.join(root, 'README.md'),
      [
        '# Heroes',
        '## Quick start',
        'See [the benchmark](bench/README.md#the-queries), [the folder](bench/), [the guide](docs/guide.md) and [above](#quick-start).',
        'Not [this](../shared/BENCHMARK.md), [nor this](BENCHMARK.md), [nor](bench/README.md#the-targets) [that](#nowhere).',
        '',
        '[ref]: docs/missing.md',
        '',
        '<a href="../shared/BENCHMARK.md">html</a> and [the web](https://example.com/x.md).',
        '```md',
        '[in a code block](nowhere.md)',
        '```',
        'and `[in a code span](nowhere.md)`.',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(outer, { recursive: true, force: true }));

  it('reports links out of the repository, to missing files and to missing headings, in docs/ too, and only those', () => {
    const { status, problems } = checkLinks(root);
    expect(problems.sort()).toEqual(
      [
        'README.md:4 outside-repository Link `../shared/BENCHMARK.md` leaves the repository',
        'README.md:4 missing-file Cannot find file `BENCHMARK.md`',
        'README.md:4 missing-heading-in-file Cannot find heading for `#the-targets` in `bench/README.md`',
        'README.md:4 missing-heading Cannot find heading for `#nowhere`',
        'README.md:6 missing-file Cannot find file `docs/missing.md`',
        'README.md:8 outside-repository Link `../shared/BENCHMARK.md` leaves the repository',
        'docs/guide.md:3 missing-heading-in-file Cannot find heading for `#gone` in `../README.md`',
        'docs/guide.md:3 outside-repository Link `../../shared/BENCHMARK.md` leaves the repository',
      ].sort(),
    );
    expect(status).toBe(1);
  });

  it("finds no broken link in the repository's own Markdown", () => {
    const { status, problems } = checkLinks(project, '--ignore-path', '.gitignore');
    expect(problems).toEqual([]);
    expect(status).toBe(0);
  });
});

// The README is the front door (what the project is, the quick start, a request's path, the layout,
// where to add things); the reference lives in docs/, one page per subject, each linked from it.
describe('the README', () => {
  const readme = readFileSync(path.join(project, 'README.md'), 'utf8');

  it('stays at most 300 lines', () => {
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(300);
  });

  it('links to every page of docs/', () => {
    const linked = new Set([...readme.matchAll(/\]\(docs\/([^)#]+\.md)(?:#[^)]*)?\)/g)].map((match) => match[1]));
    const pages = readdirSync(path.join(project, 'docs')).filter((name) => name.endsWith('.md'));
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });
});
