// Figures that name their source, and say when they are stale. Run by `npm run check`:
// - every report in bench/results names the command that made it and the commit it ran on
//   (bench/provenance.ts writes both), a commit this repository has;
// - none was measured before the last commit that changed what it measures (measuredPaths: the
//   database layer, the loaders, the schema), nor with uncommitted changes to it: such figures
//   would describe code that is gone. The way out is the command the report names, run again;
// - the documentation's tables of figures are those of their reports (bench/figures.ts).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkFigures } from '../bench/figures';
import { measuredPaths, readProvenance } from '../bench/provenance';

const root = path.resolve(__dirname, '..');

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const describeCommit = (commit: string) => git(['log', '-1', '--format=%h (%cs, "%s")', commit]) ?? commit;

/** The last commit that changed what the figures measure. */
export const lastMeasuredChange = () => git(['log', '-1', '--format=%H', '--', ...measuredPaths]);

/** What is wrong with the report `file`, of text `text`, given the last change it must include. */
export function reportProblems(file: string, text: string, last: string | null): string[] {
  const source = readProvenance(text);
  if (!source) return [`${file} names no command and commit: make it again with its bench script`];
  const rerun = `run \`${source.command}\` again`;
  if (git(['cat-file', '-e', `${source.commit}^{commit}`]) === null) {
    return [`${file} was measured at ${source.commit}, a commit this repository does not have: ${rerun}`];
  }
  const problems: string[] = [];
  const uncommitted = source.changed.filter((changed) =>
    measuredPaths.some((measured) => changed === measured || changed.startsWith(`${measured}/`)),
  );
  if (uncommitted.length) {
    problems.push(`${file} was measured with uncommitted changes to ${uncommitted.join(', ')}: commit, then ${rerun}`);
  }
  if (last && git(['merge-base', '--is-ancestor', last, source.commit]) === null) {
    problems.push(
      `${file} was measured at ${describeCommit(source.commit)}, before ${describeCommit(last)} changed ` +
        `${measuredPaths.join(', ')}: ${rerun}`,
    );
  }
  return problems;
}

/** The problems of every report in bench/results. */
export function staleReports(): string[] {
  if (git(['rev-parse', '--is-inside-work-tree']) !== 'true') {
    return ['Not a git checkout: the commits of bench/results cannot be checked'];
  }
  const last = lastMeasuredChange();
  const dir = path.join(root, 'bench', 'results');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .flatMap((name) => reportProblems(`bench/results/${name}`, readFileSync(path.join(dir, name), 'utf8'), last));
}

if (require.main === module) {
  const problems = [...staleReports(), ...checkFigures()];
  for (const problem of problems) console.error(problem);
  if (problems.length) {
    console.error('Stale or unsourced figures (bench/README.md, "Where the figures come from").');
    process.exit(1);
  }
}
