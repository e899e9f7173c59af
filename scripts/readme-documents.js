// A GraphQL Code Generator document loader (codegen.yml): the operations of the ```graphql blocks
// of a Markdown file, so that the README's examples are checked against the schema and written
// into the trusted-documents manifest (test/gql/persisted-documents.json) with the tests' own.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('graphql');

module.exports = function loadMarkdownDocuments(pointer) {
  const text = readFileSync(path.resolve(pointer), 'utf8');
  const blocks = [...text.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
  return parse(blocks.join('\n'));
};
