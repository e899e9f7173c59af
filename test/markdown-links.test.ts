import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkMarkdownLinks, headingAnchors, markdownFiles } from '../scripts/markdown-links';

// The check `npm run check` runs on the repository's Markdown (scripts/markdown-links.ts).

describe('relative links in Markdown', () => {
  let outer: string;
  let root: string;
  beforeAll(() => {
    outer = mkdtempSync(path.join(tmpdir(), 'markdown-links-'));
    root = path.join(outer, 'repo');
    mkdirSync(path.join(root, 'bench'), { recursive: true });
    mkdirSync(path.join(outer, 'shared'));
    // Next to the repository, as on a machine where a link out of it happens to resolve.
    writeFileSync(path.join(outer, 'shared', 'BENCHMARK.md'), '# Benchmark\n');
    writeFileSync(
      path.join(root, 'bench', 'README.md'),
      '# Benchmark\n\n## The queries\n\n[up](../README.md#quick-start)\n',
    );
    writeFileSync(
      path.join(root, 'README.md'),
      [
        '# Heroes',
        '## Quick start',
        'See [the benchmark](bench/README.md#the-queries), [the folder](bench/) and [above](#quick-start).',
        'Not [this](../shared/BENCHMARK.md), [nor this](BENCHMARK.md), [nor](bench/README.md#the-targets) [that](#nowhere).',
        '[ref]: docs/missing.md',
        '<a href="../shared/BENCHMARK.md">html</a> and [the web](https://example.com/x.md).',
        '```md',
        '[in a code block](nowhere.md)',
        '```',
        'and `[in a code span](nowhere.md)`.',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(outer, { recursive: true, force: true }));

  it('reports links out of the repository, to missing files and to missing headings, and only those', () => {
    const broken = checkMarkdownLinks(root, ['README.md', 'bench/README.md']);
    expect(broken.map(({ file, line, target, problem }) => `${file}:${line} ${target} ${problem}`)).toEqual([
      'README.md:4 ../shared/BENCHMARK.md points outside the repository',
      'README.md:4 BENCHMARK.md no such file or folder',
      'README.md:4 bench/README.md#the-targets no heading #the-targets in bench/README.md',
      'README.md:4 #nowhere no heading #nowhere in README.md',
      'README.md:5 docs/missing.md no such file or folder',
      'README.md:6 ../shared/BENCHMARK.md points outside the repository',
    ]);
  });

  it("makes GitHub's anchors of headings", () => {
    expect([...headingAnchors('# The API\n## `GET /metrics`: Metrics\n### Q1, Q2 & Q3\n## The API\n')]).toEqual([
      'the-api',
      'get-metrics-metrics',
      'q1-q2--q3',
      'the-api-1',
    ]);
  });

  it("finds no broken link in the repository's own Markdown", () => {
    const root = path.resolve(__dirname, '..');
    const files = markdownFiles(root);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'bench/README.md']));
    expect(checkMarkdownLinks(root, files)).toEqual([]);
  });
});
