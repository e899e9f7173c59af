// A remark plugin for `npm run check` (with remark-validate-links, which checks that relative links
// reach a file and heading but follows them anywhere): a relative link must stay inside the
// repository. A fresh clone has nothing beside it, so a link such as ../shared/DESIGN.md is
// refused even where it happens to resolve. Links with a scheme (https:, mailto:) are not ours.
import path from 'node:path';
import { visit } from 'unist-util-visit';

const scheme = /^[a-z][a-z\d+.-]*:|^\/\//i;
const htmlTarget = /\b(?:href|src)\s*=\s*["']([^"']+)["']/gi;

/** @param {{ root?: string }} [options] the repository's folder (default: the working directory) */
export default function remarkLinksInside(options = {}) {
  return (tree, file) => {
    const root = path.resolve(options.root ?? file.cwd);
    const from = path.dirname(path.resolve(file.cwd, file.path));
    const check = (target, node) => {
      if (!target || scheme.test(target) || target.startsWith('#')) return;
      const [pathPart = ''] = target.split(/[?#]/, 1);
      let decoded = pathPart;
      try {
        decoded = decodeURIComponent(pathPart);
      } catch {}
      const resolved = path.resolve(decoded.startsWith('/') ? root : from, `.${path.sep}${decoded}`);
      const inside = path.relative(root, resolved);
      if (inside.startsWith('..') || path.isAbsolute(inside)) {
        file.message(`Link \`${target}\` leaves the repository`, {
          place: node.position,
          ruleId: 'outside-repository',
          source: 'remark-links-inside',
        }).fatal = false;
      }
    };
    visit(tree, (node) => {
      if (node.type === 'link' || node.type === 'image' || node.type === 'definition') check(node.url, node);
      else if (node.type === 'html') for (const match of node.value.matchAll(htmlTarget)) check(match[1], node);
    });
  };
}
