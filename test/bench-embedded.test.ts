import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasetShape } from '../bench/dataset';
import { ensureEmbeddedDataset } from '../bench/embedded-dataset';
import { startNodeFlags } from '../bench/proc';
import { EMBEDDED_QUERIES, parseArgs } from '../bench/run-options';
import { describeOnPGlite } from './support/postgres-only';

// `npm run bench -- --embedded` (bench/run.ts): its options, the server's command line it takes from
// `npm start`, and the data set it loads into a PGlite folder (bench/embedded-dataset.ts). Its
// figures come from the bench itself (.ci/run smoke-runs it), never from a test.

const results = path.resolve(__dirname, '..', 'bench', 'results');

describe('npm run bench -- --embedded: options', () => {
  it('runs S = 10,000 in 3 rounds into bench/results/embedded.md by default, S = 1,000 in one with --quick', () => {
    expect(parseArgs(['--embedded'])).toMatchObject({
      embedded: true,
      scales: [10_000],
      pairs: 3,
      warmup: 3,
      duration: 15,
      out: path.join(results, 'embedded.md'),
    });
    expect(parseArgs(['--embedded', '--quick'])).toMatchObject({
      scales: [1000],
      pairs: 1,
      out: path.join(results, 'embedded-quick.md'),
    });
  });

  it('honours --scale, --pairs, --warmup, --duration and --out like the other modes', () => {
    expect(parseArgs(['--embedded', '--scale', '1000', '--duration', '2'])).toMatchObject({
      scales: [1000],
      duration: 2,
      out: path.join(results, 'embedded-custom.md'),
    });
    expect(
      parseArgs(['--embedded', '--scales', '1000,10000', '--pairs', '2', '--warmup', '0', '--out', '/tmp/e.md']),
    ).toMatchObject({ scales: [1000, 10_000], pairs: 2, warmup: 0, out: '/tmp/e.md' });
    // Without --embedded, nothing changed.
    expect(parseArgs([])).toMatchObject({ embedded: false, out: path.join(results, 'latest.md') });
    expect(parseArgs(['--peer'])).toMatchObject({ embedded: false, scales: [10_000] });
  });

  it('refuses --peer and --baseline with --embedded', () => {
    expect(() => parseArgs(['--embedded', '--peer'])).toThrow(/not with --peer or --baseline/);
    expect(() => parseArgs(['--embedded', '--baseline', 'main'])).toThrow(/not with --peer or --baseline/);
  });

  it("runs Q1, Q2, Q3 and Q3n, on a server started with npm start's node flags", () => {
    expect(EMBEDDED_QUERIES).toEqual(['Q1', 'Q2', 'Q3', 'Q3n']);
    expect(startNodeFlags()).toEqual(['--heap-growing-percent=150', '--expose-gc']);
  });
});

// The folder is PGlite's whatever the project: run once, in the PGlite one.
describeOnPGlite('npm run bench -- --embedded: the data set in a PGlite folder', () => {
  let parent: string;
  beforeAll(() => {
    parent = mkdtempSync(path.join(os.tmpdir(), 'bench-embedded-'));
  });
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it("loads the generator's rows once, with PostgreSQL's checksum, and finds them checked the next time", async () => {
    const dataDir = path.join(parent, 'pglite-200');
    const shape = datasetShape(200);
    const first = await ensureEmbeddedDataset({ scale: 200, dataDir });
    // bench/dataset.ts loads S = 200 into PostgreSQL with this checksum (the same statements): the
    // bench checks the two equal in every run, and this pins the generator's output.
    expect(first).toMatchObject({ ...shape, dataDir, loaded: true, checksum: '4745a354a112f0e2275748f6600af5b6' });
    const again = await ensureEmbeddedDataset({ scale: 200, dataDir });
    expect(again).toMatchObject({ loaded: false, checksum: first.checksum });
  }, 120_000);
});
