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
