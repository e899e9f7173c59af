// A GraphQL Code Generator document loader (codegen.yml): the operations of the ```graphql blocks
// of Markdown files, so that the documentation's examples are checked against the schema and
// written into the trusted-documents manifest (test/gql/persisted-documents.json) with the tests'
// own. The pointer is a file, or a folder's files by a pattern with `*` in the file name only
// (docs/*.md): codegen hands a custom loader its pointer unexpanded.
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('graphql');

/** The files `pointer` names, in name order. */
function files(pointer) {
  const name = path.basename(pointer);
  if (!name.includes('*')) return [path.resolve(pointer)];
  const dir = path.resolve(path.dirname(pointer));
  const escaped = name.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`^${escaped.join('[^/]*')}$`);
  return readdirSync(dir)
    .filter((entry) => pattern.test(entry))
    .sort()
    .map((entry) => path.join(dir, entry));
}

module.exports = function loadMarkdownDocuments(pointer) {
  const blocks = files(pointer).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^```graphql\n([\s\S]*?)^```$/gm)].map((match) => match[1]),
  );
  // A pattern that matches no example is a mistake in codegen.yml, not an empty set.
  if (blocks.length === 0) throw new Error(`No \`\`\`graphql block in ${pointer}`);
  return parse(blocks.join('\n'));
};
