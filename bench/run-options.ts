import path from 'node:path';
import { defaultAdminUrl } from './dataset-names';

// The options of `npm run bench` (bench/run.ts), read from its command line; see bench/README.md.

const benchDir = __dirname;

export interface Options {
  scales: number[];
  warmup: number;
  duration: number;
  connections: number;
  out: string;
  quick: boolean;
  /** Also run the peer, measured in alternation with the server. */
  peer: boolean;
  /** Rounds per query and data set: the server, the peer (with --peer), the floor; medians reported. */
  pairs: number;
  /** A git revision whose build is measured in alternation with the server's (--baseline). */
  baseline?: string;
  /**
   * The embedded default instead (--embedded): `npm start`'s server on a PGlite folder holding the
   * data set, against the same server on PostgreSQL, in alternation, on EMBEDDED_QUERIES.
   */
  embedded: boolean;
  /** Also a server with RESPONSE_CACHE=on, in its own table (default with --peer; --cache, --no-cache). */
  cache: boolean;
}

/** What --embedded runs: the three queries of issue 24 and Q3's 50-hero twin. */
export const EMBEDDED_QUERIES = ['Q1', 'Q2', 'Q3', 'Q3n'] as const;

export const usage = `Usage: npm run bench -- [options]
  --quick            scale 1,000 only, 1 s warm-up + 5 s per measurement
  --scale N          one data set of scale N (default: 1,000, 10,000 and 100,000, with the growth table)
  --scales A,B,...   several data sets; growth ratios are relative to the first
  --warmup S         warm-up seconds before each measurement (default 3, quick 1)
  --duration S       seconds per measurement (default 15, quick 5)
  --connections C    concurrent connections of the load generator and of the floor (default 10)
  --peer             also run the peer (PostGraphile 5 + pg-many-to-many + pg-aggregates on Node 22,
                     installed on first use into bench/peer/node_modules) on the same data, in
                     alternation with the server; without --scale/--scales only S = 10,000
                     (--quick: 1,000)
  --embedded         the embedded default: npm start's server on a PGlite folder holding the same
                     data set (loaded once, kept under BENCH_PGLITE_DIR, default
                     node_modules/.cache/heroes-bench), against the same server on PostgreSQL, in
                     alternation, on ${EMBEDDED_QUERIES.join(', ')}; without --scale/--scales only
                     S = 10,000 (--quick: 1,000); not with --peer or --baseline
  --pairs N          rounds per query (server, peer, floor), medians reported (default 3 with
                     --peer or --embedded, 1 with --quick or without them)
  --baseline REV     also run the build of git revision REV (a commit, branch or tag), checked out in a
                     temporary worktree and built there, in alternation with the server on the same
                     data, with a table of the server against it: before/after figures of a change
                     from one run
  --cache            also run a second server with the response cache on (RESPONSE_CACHE=on), in
                     alternation, in a table of its own: never in the ratios against the peer or the
                     floor (default with --peer; --no-cache leaves it out; not with --embedded)
  --out FILE         where to write the report (default bench/results/latest.md for the full run,
                     latest-quick.md for --quick, latest-custom.md otherwise; with --peer,
                     latest-peer.md, latest-peer-quick.md, latest-peer-custom.md; with --embedded,
                     embedded.md, embedded-quick.md, embedded-custom.md)
Environment: BENCH_DATABASE_URL, the PostgreSQL server (default ${defaultAdminUrl})`;

export function parseArgs(argv: string[]): Options {
  let quick = false;
  let scales: number[] | undefined;
  let warmup: number | undefined;
  let duration: number | undefined;
  let connections = 10;
  let out: string | undefined;
  let peer = false;
  let embedded = false;
  let pairs: number | undefined;
  let baseline: string | undefined;
  let cache: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const number = (text: string, min: number, max: number) => {
      const n = Number(text);
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${arg} must be between ${min} and ${max}`);
      return n;
    };
    if (arg === '--quick') quick = true;
    else if (arg === '--scale') scales = [number(value(), 200, 10_000_000)];
    else if (arg === '--scales')
      scales = value()
        .split(',')
        .map((s) => number(s, 200, 10_000_000));
    else if (arg === '--warmup') warmup = number(value(), 0, 600);
    else if (arg === '--duration') duration = Math.round(number(value(), 1, 3600));
    else if (arg === '--connections') connections = Math.round(number(value(), 1, 100));
    else if (arg === '--out') out = path.resolve(value());
    else if (arg === '--peer') peer = true;
    else if (arg === '--embedded') embedded = true;
    else if (arg === '--pairs') pairs = Math.round(number(value(), 1, 20));
    else if (arg === '--baseline') baseline = value();
    else if (arg === '--cache') cache = true;
    else if (arg === '--no-cache') cache = false;
    else if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}\n${usage}`);
  }
  if (embedded && cache) throw new Error('--embedded measures the embedded default: not with --cache');
  if (embedded && (peer || baseline !== undefined)) {
    throw new Error(
      '--embedded compares the embedded server with the same server on PostgreSQL: not with --peer or --baseline',
    );
  }
  const full =
    !quick &&
    scales === undefined &&
    warmup === undefined &&
    duration === undefined &&
    connections === 10 &&
    pairs === undefined &&
    baseline === undefined;
  const kind = full ? '' : quick && scales === undefined && pairs === undefined ? '-quick' : '-custom';
  const name = embedded ? `embedded${kind}.md` : `latest${peer ? '-peer' : ''}${baseline ? '-baseline' : ''}${kind}.md`;
  return {
    quick,
    scales: scales ?? (quick ? [1000] : peer || embedded ? [10_000] : [1000, 10_000, 100_000]),
    warmup: warmup ?? (quick ? 1 : 3),
    duration: duration ?? (quick ? 5 : 15),
    connections,
    out: out ?? path.join(benchDir, 'results', name),
    peer,
    pairs: pairs ?? ((peer || baseline || embedded) && !quick ? 3 : 1),
    baseline,
    embedded,
    cache: cache ?? peer,
  };
}
