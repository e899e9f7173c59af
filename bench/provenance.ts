import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Where a results file's figures come from: the command that made them and the commit it ran on,
// written by every bench script at the top of its report, read by the check of `npm run check`
// (scripts/bench-results.ts), which flags a file measured before the last change to the code the
// figures measure. A report without these lines cannot be reproduced, nor told stale.
//
// Run as a script, it stamps the reports of a command that does not write them itself:
//
//   npx tsx bench/provenance.ts -- npm run hostile -- --seconds 15
//
// runs the command, then adds the lines to each bench/results/*.md it wrote.

const root = path.resolve(__dirname, '..');
/** Where the stamp looks for reports: bench/results (BENCH_RESULTS_DIR, for its test, elsewhere). */
const resultsDir = path.resolve(process.env.BENCH_RESULTS_DIR ?? path.join(root, 'bench', 'results'));

/** What the figures measure: a results file older than the last change to these is stale. */
export const measuredPaths = ['src/db', 'src/db.ts', 'src/links', 'prisma/schema.prisma', 'prisma/migrations'];

export interface Provenance {
  command: string;
  /** The commit checked out, 40 hex digits. */
  commit: string;
  /** Files that differed from it (uncommitted or untracked), bench/results/ aside. */
  changed: string[];
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
}

const quote = (arg: string) => (/^[\w./,=:@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);

/**
 * The command line that ran `script` (a path from the repository's root) with this process's
 * arguments: `npm run <name> -- …` when an npm script ran it, else `npx tsx <script> …`.
 */
export function commandLine(script: string): string {
  const args = process.argv.slice(2).map(quote);
  const npmScript = process.env.npm_lifecycle_event;
  if (npmScript && process.env.npm_lifecycle_script?.includes(script)) {
    return `npm run ${npmScript}${args.length ? ` -- ${args.join(' ')}` : ''}`;
  }
  return `npx tsx ${script}${args.length ? ` ${args.join(' ')}` : ''}`;
}

/** The commit checked out and what differs from it, for `command`. */
export function provenance(command: string): Provenance {
  const commit = git(['rev-parse', 'HEAD']);
  const changed = git(['status', '--porcelain', '--untracked-files=all'])
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      line
        .slice(3)
        .replace(/^.* -> /, '')
        .replace(/^"|"$/g, ''),
    )
    .filter((file) => !file.startsWith('bench/results/'));
  return { command, commit, changed };
}

/** The report's lines naming its source: after its title, before anything else. */
export function provenanceLines(source: Provenance, started = new Date(), loadAtStart = os.loadavg()): string[] {
  const load = loadAtStart.map((n) => n.toFixed(2)).join(' ');
  return [
    `- Command: \`${source.command}\``,
    `- Commit: ${source.commit}` +
      (source.changed.length ? ` plus uncommitted changes to ${source.changed.join(', ')}` : ' (clean)'),
    `- Run: ${started.toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs, load average at start ${load}`,
  ];
}

/** The command and commit a report names, or null when it names none. */
export function readProvenance(text: string): Provenance | null {
  const command = /^- Command: `(.+)`$/m.exec(text)?.[1];
  const commit = /^- Commit: ([0-9a-f]{40})(?: plus uncommitted changes to (.+)| \(clean\))?$/m.exec(text);
  if (!command || !commit) return null;
  return { command, commit: commit[1]!, changed: commit[2]?.split(', ') ?? [] };
}

/** `text` (a report: a `# title`, then the rest) with the lines inserted after its title. */
export function withProvenance(text: string, lines: string[]): string {
  const [title, ...rest] = text.split('\n');
  return [title, '', ...lines, ...(rest[0] === '' ? [] : ['']), ...rest].join('\n');
}

function stamp(command: string[]): number {
  const source = provenance(command.map(quote).join(' '));
  const started = new Date();
  const before = new Map(readdirSync(resultsDir).map((name) => [name, statSync(path.join(resultsDir, name)).mtimeMs]));
  const run = spawnSync(command[0]!, command.slice(1), { cwd: root, stdio: 'inherit' });
  for (const name of readdirSync(resultsDir)) {
    const file = path.join(resultsDir, name);
    if (!name.endsWith('.md') || before.get(name) === statSync(file).mtimeMs) continue;
    const text = readFileSync(file, 'utf8');
    if (readProvenance(text)) continue;
    writeFileSync(file, withProvenance(text, provenanceLines(source, started)));
    console.error(`bench/provenance.ts: stamped ${path.relative(root, file)}`);
  }
  return run.status ?? 1;
}

if (require.main === module) {
  const at = process.argv.indexOf('--');
  if (at < 0 || at === process.argv.length - 1) {
    console.error('Usage: npx tsx bench/provenance.ts -- <command that writes bench/results/*.md>');
    process.exit(2);
  }
  process.exit(stamp(process.argv.slice(at + 1)));
}
