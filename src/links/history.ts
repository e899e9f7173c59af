import DataLoader from 'dataloader';
import { readRows } from '../db';
import type { ReadRoute } from '../db/replica-routing';
import { badInput } from '../errors';
import { Prisma } from '../generated/prisma/client';
import {
  type AnyColumns,
  type ConnectionArgs,
  type Page,
  type PageSpec,
  pageQuery,
  pageSpec,
  pageSql,
  specKey,
  toPage,
  type Edge,
} from './pagination';
import { columnAs, type Link, type LinkSide, type TableColumn } from './registry';

// The periods of a link's memberships (LinkSpec.history), kept by triggers on the link's table:
// the link's rows as of an instant, which a link connection reads instead of the link's table when
// it is given `asOf`, and each side's history of periods, newest first. Generic over the registry:
// the periods repeat the link's column names, so every statement of loaders.ts and filters.ts reads
// them as it reads the link.

function historyOf(link: Link) {
  if (!link.history) throw new Error(`${link.name} keeps no history`);
  return link.history;
}

/** An instant as an SQL timestamptz. */
function instant(at: Date): Prisma.Sql {
  return Prisma.sql`${at.toISOString()}::timestamptz`;
}

/**
 * The instant of an `asOf` argument, or null without one. The past only: the memberships of a
 * future instant are not known, and answering with today's would pass a guess off as history.
 */
export function asOfArg(at: Date | null | undefined, now = new Date()): Date | null {
  if (at == null) return null;
  if (at.getTime() > now.getTime()) throw badInput('"asOf" must not be in the future');
  return at;
}

/**
 * The link's rows as of `at`, in place of its table (`FROM ${linksAsOf(link, at)} l`): the periods
 * open at that instant, with the link's columns, whose two ends still exist. A plain subquery,
 * which PostgreSQL pulls up into the statement around it: the parent's condition and the page's
 * order reach the periods' indexes as they would the link's.
 */
export function linksAsOf(link: Link, at: Date): Prisma.Sql {
  const { from, to } = historyOf(link);
  const columns = [
    ...link.ends.map((end) => end.column),
    ...[...link.values, ...(link.since ? [link.since] : [])].map((column) => Prisma.raw(column.sql)),
  ];
  // Implied by the period's start (no period begins before its link's `since`, see the migration):
  // a bound on the index on `since`, so that a page newest joined first starts at the instant
  // instead of passing over every period begun after it.
  const joinedBy = link.since ? Prisma.sql`AND hp.${Prisma.raw(link.since.sql)} <= ${instant(at)}` : Prisma.empty;
  const exists = link.ends.map(
    (end) => Prisma.sql`EXISTS (SELECT 1 FROM ${end.entity.table} he WHERE he.id = hp.${end.column})`,
  );
  return Prisma.sql`(
    SELECT ${Prisma.join(
      columns.map((column) => Prisma.sql`hp.${column}`),
      ', ',
    )}
    FROM ${historyOf(link).table} hp
    WHERE hp.${Prisma.raw(from.sql)} <= ${instant(at)}
      AND (hp.${Prisma.raw(to.sql)} IS NULL OR hp.${Prisma.raw(to.sql)} > ${instant(at)})
      AND ${Prisma.join(exists, ' AND ')}
      ${joinedBy}
  )`;
}

/**
 * One period: its id, the link's key and values by their field names, and when it began and ended
 * in milliseconds since the epoch (`to` null while it lasts).
 */
export type Period = { id: number; from: number; to: number | null } & Record<string, unknown>;

/** What a history connection is asked for: its page, the far node, and the instants it overlaps. */
export type HistoryArgs = ConnectionArgs & {
  /** Only the periods of memberships of this node of the far end (its database id). */
  childId?: number | null;
  from?: Date | null;
  to?: Date | null;
};

/** The newest periods first; the id (the order they were written in) breaks ties. */
const NEWEST_FIRST = { field: 'FROM', direction: 'DESC' } as const;

interface HistoryFilter {
  key: string;
  childId: number | null;
  from: Date | null;
  to: Date | null;
}

/** A page of one parent's periods, as its connection field resolves to; its count on demand. */
export class HistoryPage implements Page<Edge<Period>> {
  readonly edges: Edge<Period>[];
  readonly pageInfo: Page<Edge<Period>>['pageInfo'];

  constructor(
    page: Page<Edge<Period>>,
    private readonly loader: HistoryLoader,
    private readonly parentId: number,
    private readonly filter: HistoryFilter,
  ) {
    this.edges = page.edges;
    this.pageInfo = page.pageInfo;
  }

  totalCount(): Promise<number> {
    return this.loader.count(this.parentId, this.filter);
  }
}

// A huge fan-out becomes several statements of this many parents each, as for the link's pages.
const MAX_BATCH = 1000;

/**
 * The periods of one side of the link, batched per request as the link's pages are: every parent
 * asking for the same page shares one statement, whatever the number of parents.
 */
export class HistoryLoader {
  private readonly pages = new Map<string, DataLoader<number, HistoryPage>>();
  private readonly counts = new Map<string, DataLoader<number, number>>();
  private readonly columns: AnyColumns;
  private readonly fields: readonly TableColumn[];

  constructor(
    readonly side: LinkSide,
    private readonly route: Readonly<ReadRoute>,
  ) {
    const { from } = historyOf(side.link);
    this.columns = {
      ID: { sql: Prisma.sql`hp.id`, type: 'int', nullable: false, output: 'id' },
      FROM: { sql: Prisma.raw(`hp.${from.sql}`), type: 'timestamp', nullable: false, output: 'from' },
    };
    this.fields = side.link.values;
  }

  connection(parentId: number, args: HistoryArgs): Promise<HistoryPage> {
    const spec = pageSpec(args, NEWEST_FIRST, this.columns);
    const childId = args.childId ?? null;
    const from = args.from ?? null;
    const to = args.to ?? null;
    if (from && to && from.getTime() > to.getTime()) throw badInput('"from" must not be after "to"');
    const filter = { key: `${childId}|${from?.getTime()}|${to?.getTime()}`, childId, from, to };
    const key = `${specKey(spec)}|${filter.key}`;
    let loader = this.pages.get(key);
    if (!loader) {
      loader = new DataLoader((ids) => this.loadPages(ids, spec, filter), { maxBatchSize: MAX_BATCH });
      this.pages.set(key, loader);
    }
    return loader.load(parentId);
  }

  count(parentId: number, filter: HistoryFilter): Promise<number> {
    let loader = this.counts.get(filter.key);
    if (!loader) {
      loader = new DataLoader((ids) => this.loadCounts(ids, filter), { maxBatchSize: MAX_BATCH });
      this.counts.set(filter.key, loader);
    }
    return loader.load(parentId);
  }

  /** Forgets what was loaded for these parents, or for all when none are given. */
  clear(...parentIds: number[]): void {
    for (const loader of [...this.pages.values(), ...this.counts.values()]) {
      if (parentIds.length === 0) loader.clearAll();
      else for (const id of parentIds) loader.clear(id);
    }
  }

  /**
   * The conditions of a filter on periods `hp` of parent `p`: of one far node, and overlapping
   * [from, to]. A period holds the instants from its beginning up to, not including, its end, so
   * from = to = t selects exactly the periods that a page `asOf: t` reads.
   */
  private conditions(filter: HistoryFilter): Prisma.Sql[] {
    const { from, to } = historyOf(this.side.link);
    const { parentEnd, childEnd } = this.side;
    return [
      Prisma.sql`hp.${parentEnd.column} = p.id`,
      ...(filter.childId === null ? [] : [Prisma.sql`hp.${childEnd.column} = ${filter.childId}`]),
      ...(filter.to === null ? [] : [Prisma.sql`hp.${Prisma.raw(from.sql)} <= ${instant(filter.to)}`]),
      ...(filter.from === null
        ? []
        : [Prisma.sql`(hp.${Prisma.raw(to.sql)} IS NULL OR hp.${Prisma.raw(to.sql)} > ${instant(filter.from)})`]),
    ];
  }

  private async loadPages(parentIds: readonly number[], spec: PageSpec, filter: HistoryFilter): Promise<HistoryPage[]> {
    const { link } = this.side;
    const { from, to, table } = historyOf(link);
    const ms = (column: TableColumn) => `(extract(epoch FROM hp.${column.sql}) * 1000)::float8`;
    const columns = [
      Prisma.sql`hp.id`,
      ...link.ends.map((end) => Prisma.sql`hp.${end.returning}`),
      ...this.fields.map((column) => Prisma.raw(`hp.${columnAs(column)}`)),
      Prisma.raw(`${ms(from)} AS "from"`),
      Prisma.raw(`${ms(to)} AS "to"`),
    ];
    const page = pageSql(spec, this.columns);
    const rows = await readRows<Period & { parentId: number }>(
      Prisma.sql`
        SELECT p.id AS "parentId", x.*
        FROM unnest(${parentIds as number[]}::int[]) AS p(id)
        CROSS JOIN LATERAL (${pageQuery(
          page,
          (condition) => Prisma.sql`
            SELECT ${Prisma.join(columns, ', ')}
            FROM ${table} hp
            WHERE ${Prisma.join([...this.conditions(filter), condition], ' AND ')}`,
        )}) x`,
      { target: this.route.target },
    );
    const byParent = new Map<number, Period[]>();
    for (const { parentId, ...period } of rows) {
      const list = byParent.get(parentId);
      if (list) list.push(period as Period);
      else byParent.set(parentId, [period as Period]);
    }
    // Each parent's rows in the order its page was taken in (newest first, or oldest first for `last`).
    const sign = spec.backward ? 1 : -1;
    for (const list of byParent.values()) list.sort((a, b) => sign * (a.from - b.from || a.id - b.id));
    return parentIds.map(
      (id) =>
        new HistoryPage(
          toPage(spec, byParent.get(id) ?? [], (row) => row.from),
          this,
          id,
          filter,
        ),
    );
  }

  private async loadCounts(parentIds: readonly number[], filter: HistoryFilter): Promise<number[]> {
    const { table } = historyOf(this.side.link);
    const rows = await readRows<{ parentId: number; total: number }>(
      Prisma.sql`
        SELECT p.id AS "parentId", (SELECT count(*)::int FROM ${table} hp WHERE ${Prisma.join(this.conditions(filter), ' AND ')}) AS total
        FROM unnest(${parentIds as number[]}::int[]) AS p(id)`,
      { target: this.route.target },
    );
    const counts = new Map(rows.map((row) => [row.parentId, row.total]));
    return parentIds.map((id) => counts.get(id) ?? 0);
  }
}
