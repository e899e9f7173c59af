import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readProvenance } from './provenance';

// The documentation's figures are copies of the bench's reports, made here, not typed: each table of
// figures stands between two markers that name its source, a file of bench/results, the table in
// it (the first after a line holding the given text) and the columns shown, or a section of it
// (the lines under a heading, to the next heading):
//
//   <!-- figures: bench/results/latest-peer.md | table after: the server against the peer | columns: query; server req/s -->
//   (made by this script: the command and commit of the report, then the table)
//   <!-- /figures -->
//   <!-- figures: bench/results/latest-peer.md | section: Against the targets -->
//
//   npx tsx bench/figures.ts           rewrites them from the reports (the documents below)
//   npx tsx bench/figures.ts --check   says which differ from their reports (npm run check runs it)

const root = path.resolve(__dirname, '..');
/** The Markdown that may hold figures: the README, the bench's, and every page of docs/. */
export const documents = [
  'README.md',
  'bench/README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

interface Spec {
  source: string;
  after?: string;
  columns?: string[];
  section?: string;
}

const START = /^<!-- figures: (.+?) -->$/;
const END = '<!-- /figures -->';

function parseSpec(text: string): Spec {
  const [source, ...parts] = text.split(' | ');
  const spec: Spec = { source: source!.trim() };
  for (const part of parts) {
    const [key, ...value] = part.split(':');
    const joined = value.join(':').trim();
    if (key!.trim() === 'table after') spec.after = joined;
    else if (key!.trim() === 'section') spec.section = joined;
    else if (key!.trim() === 'columns') spec.columns = joined.split(';').map((column) => column.trim());
    else throw new Error(`Unknown part of a figures marker: ${part}`);
  }
  return spec;
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim());

/** The markdown the marker `spec` stands for, from its report's text. */
export function render(spec: Spec, report: string): string {
  const source = readProvenance(report);
  if (!source) throw new Error(`${spec.source} names no command and commit (bench/provenance.ts)`);
  const lines = report.split('\n');
  const heading = `From \`${source.command}\` at commit ${source.commit.slice(0, 10)} ([\`${spec.source}\`](${spec.source})):`;
  if (spec.section !== undefined) {
    const at = lines.findIndex((line) => /^#+ /.test(line) && line.includes(spec.section!));
    if (at < 0) throw new Error(`${spec.source} has no heading holding "${spec.section}"`);
    const end = lines.findIndex((line, i) => i > at && /^#+ /.test(line));
    const body = lines
      .slice(at + 1, end < 0 ? undefined : end)
      .join('\n')
      .trim();
    return [heading, '', body].join('\n');
  }
  const from = spec.after === undefined ? 0 : lines.findIndex((line) => line.includes(spec.after!));
  if (from < 0) throw new Error(`${spec.source} has no line holding "${spec.after}"`);
  const first = lines.findIndex((line, i) => i >= from && line.startsWith('|'));
  if (first < 0) throw new Error(`${spec.source} has no table after "${spec.after}"`);
  let last = first;
  while (lines[last + 1]?.startsWith('|')) last++;
  const rows = lines.slice(first, last + 1).map(cells);
  const header = rows[0]!;
  const picked = spec.columns
    ? spec.columns.map((column) => {
        const at = header.indexOf(column);
        if (at < 0)
          throw new Error(`${spec.source}: the table has no column "${column}" (it has: ${header.join('; ')})`);
        return at;
      })
    : header.map((_, i) => i);
  const table = rows.map((row) => `| ${picked.map((i) => row[i] ?? '').join(' | ')} |`);
  return [heading, '', ...table].join('\n');
}

/** `text` (a document at `documentPath`) with every figures region made again from its report. */
export function refresh(text: string, documentPath: string, read = (file: string) => readFileSync(file, 'utf8')) {
  const lines = text.split('\n');
  const out: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = START.exec(lines[i]!);
    out.push(lines[i]!);
    if (!start) continue;
    const end = lines.indexOf(END, i + 1);
    if (end < 0) {
      problems.push(`${documentPath}:${i + 1}: a figures marker without ${END}`);
      continue;
    }
    const spec = parseSpec(start[1]!);
    // Paths in a marker are relative to the document, as its links are.
    const report = path.join(path.dirname(path.join(root, documentPath)), spec.source);
    try {
      out.push(render(spec, read(report)));
    } catch (error) {
      problems.push(`${documentPath}:${i + 1}: ${(error as Error).message}`);
      out.push(...lines.slice(i + 1, end));
    }
    out.push(END);
    i = end;
  }
  return { text: out.join('\n'), problems };
}

/** For each document, whether its figures are those of their reports, and what could not be made. */
export function checkFigures(): string[] {
  const problems: string[] = [];
  for (const document of documents) {
    const text = readFileSync(path.join(root, document), 'utf8');
    const made = refresh(text, document);
    problems.push(...made.problems);
    if (made.text !== text) {
      problems.push(
        `${document}: its figures differ from their reports in bench/results: run npx tsx bench/figures.ts`,
      );
    }
  }
  return problems;
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const problems = checkFigures();
    for (const problem of problems) console.error(problem);
    process.exit(problems.length ? 1 : 0);
  }
  let failed = false;
  for (const document of documents) {
    const file = path.join(root, document);
    const made = refresh(readFileSync(file, 'utf8'), document);
    for (const problem of made.problems) console.error(problem);
    failed ||= made.problems.length > 0;
    writeFileSync(file, made.text);
  }
  process.exit(failed ? 1 : 0);
}
