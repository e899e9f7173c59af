// npm run check:layers: dependency-cruiser with the rules of .dependency-cruiser.cjs, over src/.
// Through its API rather than its command line, which refuses to start on a Node older than its
// own engines (the server itself runs on 22 and 24; some machines that run the checks have 20).
// An ES module: dependency-cruiser is one, and cannot be required.
// `--config <file>` and the paths to cruise may be given (test/layers.test.ts does).
import path from 'node:path';
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const args = process.argv.slice(2);
const at = args.indexOf('--config');
const configFile = at === -1 ? '.dependency-cruiser.cjs' : args.splice(at, 2)[1];
const paths = args.length > 0 ? args : ['src'];
const options = await extractDepcruiseOptions(path.resolve(configFile));
const { output } = await cruise(paths, options, undefined, {
  tsConfig: extractTSConfig(options.tsConfig?.fileName ?? 'tsconfig.json'),
});
const report = await format(output, { outputType: 'err' });
process.stdout.write(report.output);
process.exitCode = report.exitCode > 0 ? 1 : 0;

// The link layer is generic: src/links names no entity of prisma/schema.prisma outside comments
// (the entities and their link are declared in src/schema/registry.ts). Its code is read with
// TypeScript's parser, whose syntax tree holds no comments; a word of a model's name (Hero and Team of
// Hero, Team and HeroTeamLink; "Link" is the layer's own word) in any identifier, string or
// template text fails. Models that name no other model (the change log's tables, written by
// triggers and read by src/db) are the database's bookkeeping, not entities of a link.
if (paths.length === 1 && paths[0] === 'src') {
  const { readFileSync, readdirSync } = await import('node:fs');
  const ts = (await import('typescript')).default;
  const blocks = [...readFileSync('prisma/schema.prisma', 'utf8').matchAll(/^model (\w+) \{([^}]*)\}/gm)];
  const names = blocks.map((m) => m[1]);
  const models = blocks
    .filter(([, name, body]) =>
      names.some((other) => other !== name && new RegExp(`\\s${other}(\\[\\]|\\?)?\\s`).test(body)),
    )
    .map((m) => m[1]);
  const words = [...new Set(models.flatMap((name) => name.split(/(?=[A-Z])/)))].filter((word) => word !== 'Link');
  const named = new RegExp(words.join('|'), 'i');
  const found = [];
  for (const file of readdirSync('src/links').filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(path.join('src/links', file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const visit = (node) => {
      const word =
        ts.isIdentifier(node) || ts.isPrivateIdentifier(node)
          ? node.text
          : ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)
            ? node.text
            : undefined;
      if (word !== undefined && named.test(word)) found.push(`src/links/${file}: ${word}`);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  if (found.length > 0) {
    process.stdout.write(`src/links names entities (${words.join(', ')}) outside comments:\n  ${found.join('\n  ')}\n`);
    process.exitCode = 1;
  } else process.stdout.write(`src/links names no entity (${words.join(', ')}) outside comments\n`);
}
