// Every relative link of the repository's Markdown files must resolve inside the repository: to a
// file or folder that exists, and, for `#heading`, to a heading of that file (GitHub's anchors). A
// fresh clone has nothing next to it, so a link out of the repository (../shared/…) is refused even
// where it happens to resolve. Links with a scheme (https:, mailto:) are not fetched. Run by
// `npm run check`; test/markdown-links.test.ts tests it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  problem: string;
}

const blank = (match: string) => match.replace(/[^\n]/g, ' ');

/** The text without fenced code blocks (blanked, so that lines still count). */
function withoutFences(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, blank);
}

/** The text without fenced code blocks and code spans. */
function withoutCode(text: string): string {
  return withoutFences(text).replace(/(`+)[^`\n][\s\S]*?\1/g, blank);
}

/** GitHub's anchors for a file's headings: lowercased, punctuation dropped, spaces as hyphens, -1, -2 for repeats. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = match[1]!.replace(/`([^`]*)`/g, '$1').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

const linkPatterns = [
  /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g, // [text](target "title"), images too
  /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm, // [label]: target
  /\b(?:href|src)\s*=\s*["']([^"']+)["']/g, // HTML
];

export function checkMarkdownLinks(root: string, files: readonly string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (file: string) => {
    let found = anchorsOf.get(file);
    if (!found) anchorsOf.set(file, (found = headingAnchors(readFileSync(file, 'utf8'))));
    return found;
  };
  for (const relative of files) {
    const file = path.resolve(root, relative);
    const text = withoutCode(readFileSync(file, 'utf8'));
    for (const pattern of linkPatterns) {
      for (const match of text.matchAll(pattern)) {
        const target = match[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
        const line = text.slice(0, match.index).split('\n').length;
        const report = (problem: string) => broken.push({ file: relative, line, target, problem });
        const [pathPart = '', anchor] = target.split('#', 2);
        const decoded = decodeURIComponent(pathPart);
        const resolved =
          decoded === ''
            ? file
            : path.resolve(decoded.startsWith('/') ? root : path.dirname(file), `.${path.sep}${decoded}`);
        const inside = path.relative(root, resolved);
        if (inside.startsWith('..') || path.isAbsolute(inside)) {
          report('points outside the repository');
        } else if (!existsSync(resolved)) {
          report('no such file or folder');
        } else if (
          anchor &&
          statSync(resolved).isFile() &&
          resolved.endsWith('.md') &&
          !anchors(resolved).has(anchor)
        ) {
          report(`no heading #${anchor} in ${path.relative(root, resolved)}`);
        }
      }
    }
  }
  return broken.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** The repository's Markdown files, tracked or new, as git sees them (ignored ones left out). */
export function markdownFiles(root: string): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.md'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file && existsSync(path.join(root, file)));
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const files = markdownFiles(root);
  const broken = checkMarkdownLinks(root, files);
  for (const link of broken) console.error(`${link.file}:${link.line}: ${link.target}: ${link.problem}`);
  if (broken.length > 0) {
    console.error(`${broken.length} broken links in Markdown files.`);
    process.exit(1);
  }
  console.log(`Links of ${files.length} Markdown files: all resolve inside the repository.`);
}
