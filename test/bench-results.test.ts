import { execFileSync } from 'node:child_process';
import { refresh, render } from '../bench/figures';
import { measuredPaths, provenanceLines, readProvenance, withProvenance } from '../bench/provenance';
import { lastMeasuredChange, reportProblems } from '../scripts/bench-results';

// The check of `npm run check` that the bench's figures name their source and are not stale
// (scripts/bench-results.ts, bench/provenance.ts, bench/figures.ts), on reports made up here
// around commits of this repository's own history.

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();

const report = (commit: string, changed: string[] = [], command = 'npm run bench -- --quick') =>
  withProvenance(
    '# Benchmark\n\n| query | req/s | **ratio** |\n| --- | ---: | ---: |\n| Q1 | 200 | **1.50** |\n| Q2 | 40.0 | **2.10** |\n',
    provenanceLines({ command, commit, changed }),
  );

describe('a report of bench/results', () => {
  const last = lastMeasuredChange()!;
  const before = git('rev-parse', `${last}^`);

  it('names its command and commit, which the check reads back', () => {
    const head = git('rev-parse', 'HEAD');
    expect(readProvenance(report(head, ['README.md']))).toEqual({
      command: 'npm run bench -- --quick',
      commit: head,
      changed: ['README.md'],
    });
    expect(readProvenance('# Benchmark\n\n- Commit ec48037 (clean outside bench/)\n')).toBeNull();
  });

  it('measured at the last change to what it measures, or later: nothing to say', () => {
    expect(reportProblems('bench/results/x.md', report(last), last)).toEqual([]);
    expect(reportProblems('bench/results/x.md', report(git('rev-parse', 'HEAD')), last)).toEqual([]);
  });

  it('measured before it: stale, and the way out is its own command again', () => {
    expect(git('diff', '--name-only', before, last, '--', ...measuredPaths)).not.toBe('');
    expect(reportProblems('bench/results/x.md', report(before), last)).toEqual([
      expect.stringMatching(
        /^bench\/results\/x\.md was measured at \w+ .* before \w+ .*: run `npm run bench -- --quick` again$/,
      ),
    ]);
  });

  it('without a source, with a commit unknown here, or with uncommitted changes to what it measures: flagged', () => {
    expect(reportProblems('x.md', '# Benchmark\n\nCommit ec48037\n', last)).toEqual([
      'x.md names no command and commit: make it again with its bench script',
    ]);
    expect(reportProblems('x.md', report('0'.repeat(40)), last)).toEqual([
      expect.stringContaining('a commit this repository does not have'),
    ]);
    expect(reportProblems('x.md', report(last, ['README.md']), last)).toEqual([]);
    expect(reportProblems('x.md', report(last, ['src/links/loaders.ts', 'README.md']), last)).toEqual([
      expect.stringContaining('uncommitted changes to src/links/loaders.ts'),
    ]);
  });
});

describe("the README's figures", () => {
  const commit = git('rev-parse', 'HEAD');
  const reports: Record<string, string> = { '/repo/bench/results/latest.md': report(commit) };
  const read = (file: string) => {
    const text = reports[file];
    if (text === undefined) throw new Error(`no ${file}`);
    return text;
  };
  const marker = '<!-- figures: bench/results/latest.md | table after: # Benchmark | columns: query; **ratio** -->';

  it('are a copy of the columns asked for, under the command and commit that made them', () => {
    expect(render({ source: 'bench/results/latest.md', columns: ['query', '**ratio**'] }, report(commit))).toBe(
      [
        `From \`npm run bench -- --quick\` at commit ${commit.slice(0, 10)} ([\`bench/results/latest.md\`](bench/results/latest.md)):`,
        '',
        '| query | **ratio** |',
        '| --- | ---: |',
        '| Q1 | **1.50** |',
        '| Q2 | **2.10** |',
      ].join('\n'),
    );
  });

  it('or a section of it: the lines under its heading, to the next', () => {
    const withTargets = `${report(commit)}\n## Against the targets\n\n- Q1 at least 2×: **not met**\n\n## Statements\n\n- Q1: 2\n`;
    expect(render({ source: 'bench/results/latest.md', section: 'Against the targets' }, withTargets)).toBe(
      [
        `From \`npm run bench -- --quick\` at commit ${commit.slice(0, 10)} ([\`bench/results/latest.md\`](bench/results/latest.md)):`,
        '',
        '- Q1 at least 2×: **not met**',
      ].join('\n'),
    );
  });

  it('are made again between their markers; figures typed over are put back', () => {
    const document = `Intro\n${marker}\n| query | **ratio** |\n| Q1 | **9.99** |\n<!-- /figures -->\nAfter\n`;
    const made = refresh(document, 'README.md', (file) => read(file.replace(/^.*\/bench\//, '/repo/bench/')));
    expect(made.problems).toEqual([]);
    expect(made.text).toContain('| Q1 | **1.50** |');
    expect(made.text).not.toContain('9.99');
    expect(made.text.startsWith('Intro\n')).toBe(true);
    expect(made.text.endsWith('<!-- /figures -->\nAfter\n')).toBe(true);
    expect(refresh(made.text, 'README.md', (file) => read(file.replace(/^.*\/bench\//, '/repo/bench/'))).text).toBe(
      made.text,
    );
  });

  it('name a column the report does not have: a problem, the region left as it was', () => {
    const document = `${marker.replace('**ratio**', 'p50')}\nold\n<!-- /figures -->\n`;
    const made = refresh(document, 'README.md', (file) => read(file.replace(/^.*\/bench\//, '/repo/bench/')));
    expect(made.problems).toEqual([expect.stringContaining('the table has no column "p50"')]);
    expect(made.text).toBe(document);
  });
});
