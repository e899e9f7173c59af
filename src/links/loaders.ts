import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import { readRows, readValues } from '../db';
import type { ReadRoute } from '../db/replica-routing';
import { batchSizeOf } from '../ops/metrics';
import { Prisma } from '../generated/prisma/client';
import { type CompiledFilter, compileFilter, type NodeFilter } from './filters';
import {
  and,
  type AnyColumns,
  type ConnectionArgs,
  encodeCursor,
  type OrderArg,
  type Page,
  type PageInfo,
  type PageSpec,
  pageOfEdges,
  pageSpec,
  pageQuery,
  pageSql,
  specKey,
} from './pagination';
import { ListAggregate, type ListStats, readStats, statsSelect } from './aggregates';
import { asksForPage, selects } from './selection';
import { HistoryLoader, linksAsOf } from './history';
import { type Entity, type Link, type LinkSide, orderFieldOf } from './registry';

// Pages and counts of the nodes reached from a parent through a many-to-many link, both ways, for
// any link of the registry (src/links/registry.ts).

/** When a link began, in milliseconds since the epoch: a plain number in rows and in JSON. */
function sinceMs(link: Link): Prisma.Sql {
  return Prisma.raw(`(extract(epoch FROM l.${link.since!.sql}) * 1000)::float8`);
}

/** The orderings of a link connection: the node's columns, and the link's own. */
function linkColumns<Node extends { id: number }>(side: LinkSide<Node>): AnyColumns {
  const { since } = side.link;
  return {
    ...side.table.orderColumns,
    ID: { sql: side.child, type: 'int', nullable: false, output: 'id' },
    ...(since && {
      [orderFieldOf(since.field)]: {
        sql: Prisma.raw(`l.${since.sql}`),
        type: 'timestamp',
        nullable: false,
        output: since.field,
      },
    }),
  };
}

/** The order field of the link's own timestamp (JOINED_AT for joinedAt), or none. */
function sinceField(link: Link): string | null {
  return link.since ? orderFieldOf(link.since.field) : null;
}

interface LinkCounts {
  total: number;
  training: number;
}

/**
 * An edge of one side of the link: the node, and the link's own fields: its values (link.values,
 * the `index`th of each of `columns`, as a page read them) and when it began (`since`).
 */
export class MemberEdge<Node extends { id: number }> {
  constructor(
    readonly node: Node,
    private readonly columns: readonly (readonly unknown[])[],
    private readonly index: number,
    /** When the link began, in milliseconds since the epoch (NaN when not read). */
    readonly since: number,
    private readonly cursorOf: (edge: MemberEdge<Node>) => string,
  ) {}

  /** The `k`th of the link's values (link.values). */
  value(k: number): unknown {
    return this.columns[k]![this.index];
  }

  /** Encoded only when a client asks for it (most queries never do). */
  get cursor(): string {
    return this.cursorOf(this);
  }
}

/** How the edges of pages of this spec encode their cursors. */
function edgeCursor<Node extends { id: number }>(
  spec: PageSpec,
  side: LinkSide<Node>,
): (edge: MemberEdge<Node>) => string {
  const { field } = spec;
  const { table } = side;
  if (field === sinceField(side.link)) return (edge) => encodeCursor(field, edge.since, edge.node.id);
  return (edge) => encodeCursor(field, table.sortKey(field, edge.node), edge.node.id);
}

/**
 * A link row as an edge of the link connection it belongs to, with the cursor of the connection's
 * default order (by id): what a mutation's payload hands to Relay's @appendEdge.
 */
export function membershipEdge<Node extends { id: number }>(
  link: Link,
  node: Node,
  row: Record<string, unknown>,
): MemberEdge<Node> {
  const since = link.since ? (row[link.since.field] as Date).getTime() : NaN;
  return new MemberEdge(
    node,
    link.values.map((column) => [row[column.field]]),
    0,
    since,
    (edge) => encodeCursor('ID', null, edge.node.id),
  );
}

/** What a link connection field needs read: its page (with when each link began or not), or only its count. */
type Wanted = 'page' | 'page with since' | 'count only';

function pageWanted(link: Link, info: GraphQLResolveInfo, orderBy: OrderArg<string> | null | undefined): Wanted {
  if (!asksForPage(info)) return 'count only';
  if (!link.since) return 'page';
  return orderBy?.field === sinceField(link) || selects(info, ['edges', link.since.field]) ? 'page with since' : 'page';
}

/** What a page statement reads besides the page: a filter on the flag, when each link began, a filter. */
interface PageRead {
  flagValue: boolean | null | undefined;
  since: boolean;
  filter: LinkFilter | null;
}

/**
 * A filter on the far side of the link, compiled once for every parent that asks for it: for the
 * pages, in a form no name index serves (a parent's page looks at the parent's links, and reading
 * every node whose name holds a common trigram costs more than reading a small parent's links);
 * for the counts, in the form the trigram index serves, the planner choosing per text.
 */
interface LinkFilter {
  key: string;
  compiled: CompiledFilter;
  counted: CompiledFilter;
}

/** A page of one parent's nodes, as its connection field resolves to; counts on demand. */
export class MemberPage<Node extends { id: number }> implements Page<MemberEdge<Node>> {
  readonly edges: MemberEdge<Node>[];
  readonly pageInfo: PageInfo;

  constructor(
    page: Page<MemberEdge<Node>>,
    readonly loader: LinkLoader<Node>,
    readonly parentId: number,
    readonly flagValue: boolean | null | undefined,
    readonly filter: LinkFilter | null,
  ) {
    this.edges = page.edges;
    this.pageInfo = page.pageInfo;
  }

  totalCount(): Promise<number> {
    return this.loader.count(this.parentId, this.flagValue, this.filter);
  }

  /**
   * The aggregate of the whole list this page is taken from (its filter and flag, not its page).
   * `stats`: whether a statistic is asked for, which then brings the counts along.
   */
  aggregate(stats: boolean): ListAggregate {
    const { loader, parentId, flagValue, filter } = this;
    return new ListAggregate(
      {
        counts: async () => ({
          total: await loader.count(parentId, flagValue, filter),
          // The flagged links of a list of unflagged ones (flagValue false) are none.
          flagged: flagValue === false ? 0 : await loader.count(parentId, true, filter),
        }),
        stats: () => loader.stats(parentId, flagValue, filter),
      },
      stats,
    );
  }
}

/**
 * Sorts a short list of edges in place, without allocating: by node id (sign 1: ascending), or by
 * when the link began and then node id.
 */
function sortEdges<Node extends { id: number }>(edges: MemberEdge<Node>[], sign: number, bySince: boolean): void {
  const after = (a: MemberEdge<Node>, b: MemberEdge<Node>) =>
    sign * (bySince && a.since !== b.since ? a.since - b.since : a.node.id - b.node.id) > 0;
  for (let i = 1; i < edges.length; i++) {
    const edge = edges[i]!;
    let j = i - 1;
    while (j >= 0 && after(edges[j]!, edge)) {
      edges[j + 1] = edges[j]!;
      j--;
    }
    edges[j + 1] = edge;
  }
}

// A huge fan-out (say 50,000 parents) becomes several statements of this many parents each.
const MAX_BATCH = 1000;

function flagFilter(link: Link, flagValue: boolean | null | undefined): Prisma.Sql[] {
  return flagValue == null ? [] : [Prisma.sql`l.${Prisma.raw(link.flag!.sql)} = ${flagValue}`];
}

/** A connection's arguments: the page, its order, a filter of the far nodes, and the link's flag by its name. */
export type LinkArgs = ConnectionArgs & {
  orderBy?: OrderArg<string> | null;
  where?: NodeFilter | null;
};

/**
 * Pages and counts of one side of the link, batched per request: every parent asking for the same
 * page (same order, size, cursors and filters) shares one statement, whatever the number of parents.
 */
export class LinkLoader<Node extends { id: number }> {
  private readonly pages = new Map<string, DataLoader<number, MemberPage<Node>>>();
  private readonly pagesByArgs = new Map<string, { load(parentId: number): Promise<MemberPage<Node>> }>();
  private readonly counts = new DataLoader<number, LinkCounts>((ids) => this.loadCounts(ids, null), {
    maxBatchSize: MAX_BATCH,
  });
  private readonly filteredCounts = new Map<string, DataLoader<number, LinkCounts>>();
  private readonly statsLoaders = new Map<string, DataLoader<number, ListStats>>();
  private readonly columns: AnyColumns;
  /**
   * The link's rows its statements read: the link's table, or with `asOf` its rows as of that
   * instant (src/links/history.ts), for pages, filters, counts and statistics alike.
   */
  private readonly linkRows: Prisma.Sql;
  private readonly pageBatches: { observe(keys: number): void };
  private readonly countBatches: { observe(keys: number): void };

  constructor(
    private readonly side: LinkSide<Node>,
    private readonly route: Readonly<ReadRoute>,
    /** The instant the loader reads the link as of (checked: asOfArg), or null for now. */
    readonly asOf: Date | null = null,
  ) {
    this.columns = linkColumns(side);
    this.linkRows = asOf ? linksAsOf(side.link, asOf) : side.link.table;
    this.pageBatches = batchSizeOf(side.field);
    this.countBatches = batchSizeOf(`${side.field}.totalCount`);
  }

  /**
   * The connection a field resolves to: one page for this parent, and its count on demand. With
   * the field's `info`, the page is read only if the field asks for edges or pageInfo (a client may
   * want only the totalCount), and when each link began only if its edges ask for it (`since`)
   * or the page is ordered by it: most queries do not, and it costs a share of a large page's SQL.
   */
  connection(parentId: number, args: LinkArgs, info?: GraphQLResolveInfo): Promise<MemberPage<Node>> {
    // A thousand parents ask with the same arguments: check them and find their pages once.
    const { first, last, after, before, orderBy, where } = args;
    const { link } = this.side;
    const flagValue = link.flag
      ? ((args as Record<string, unknown>)[link.flag.field] as boolean | null | undefined)
      : undefined;
    const wanted = !info ? (link.since ? 'page with since' : 'page') : pageWanted(link, info, orderBy);
    const whereKey = where == null ? '' : JSON.stringify(where);
    const argsKey = `${first}|${last}|${after}|${before}|${orderBy?.field}|${orderBy?.direction}|${flagValue}|${wanted}|${whereKey}`;
    let source = this.pagesByArgs.get(argsKey);
    if (!source) {
      const spec = pageSpec(args, orderBy, this.columns);
      const at = { alias: 'n', id: this.side.child };
      const table = this.side.table as Entity;
      const links = this.linkRows;
      const compiled = compileFilter(link, table, where, at, { nameIndex: false, links });
      const filter = compiled && {
        key: whereKey,
        compiled,
        counted: compileFilter(link, table, where, at, { links })!,
      };
      if (wanted === 'count only') {
        source = { load: async (id) => new MemberPage(pageOfEdges(spec, []), this, id, flagValue, filter) };
      } else {
        const since = wanted === 'page with since';
        const key = `${specKey(spec)}|${flagValue}|${since}|${filter?.key ?? ''}`;
        let loader = this.pages.get(key);
        if (!loader) {
          const read = { flagValue, since, filter };
          loader = new DataLoader((ids) => this.loadPages(ids, spec, read), { maxBatchSize: MAX_BATCH });
          this.pages.set(key, loader);
        }
        source = loader;
      }
      this.pagesByArgs.set(argsKey, source);
    }
    return source.load(parentId);
  }

  /**
   * How many nodes the parent links to, all or only those in training (or not): one batch for all
   * three, from the counters where there are some. Filtered lists are counted by their filter.
   */
  async count(parentId: number, flagValue: boolean | null | undefined, filter: LinkFilter | null): Promise<number> {
    let loader = filter ? this.filteredCounts.get(filter.key) : this.counts;
    if (!loader) {
      const counted = filter!.counted;
      loader = new DataLoader((ids) => this.loadCounts(ids, counted), { maxBatchSize: MAX_BATCH });
      this.filteredCounts.set(filter!.key, loader);
    }
    const { total, training } = await loader.load(parentId);
    return flagValue == null ? total : flagValue ? training : total - training;
  }

  /**
   * Statistics of the parent's list (its filter and flag): one statement for every parent of the
   * level asking with the same arguments, grouped by parent.
   */
  stats(parentId: number, flagValue: boolean | null | undefined, filter: LinkFilter | null): Promise<ListStats> {
    const key = `${flagValue}|${filter?.key ?? ''}`;
    let loader = this.statsLoaders.get(key);
    if (!loader) {
      const counted = filter?.counted ?? null;
      loader = new DataLoader((ids) => this.loadStats(ids, flagValue, counted), { maxBatchSize: MAX_BATCH });
      this.statsLoaders.set(key, loader);
    }
    return loader.load(parentId);
  }

  /** Forgets what was loaded for these parents, or for all when none are given. */
  clear(...parentIds: number[]): void {
    const loaders = [
      ...this.pages.values(),
      this.counts,
      ...this.filteredCounts.values(),
      ...this.statsLoaders.values(),
    ];
    for (const loader of loaders) {
      if (parentIds.length === 0) loader.clearAll();
      else for (const id of parentIds) loader.clear(id);
    }
  }

  /** The link rows of the parents, joined to their nodes when the filter reads the nodes' rows. */
  private links(filter: CompiledFilter | null, nodes: 'when filtered' | 'always'): Prisma.Sql {
    const { child, table } = this.side;
    return nodes === 'always' || filter?.readsRow
      ? Prisma.sql`${this.linkRows} l JOIN ${table.from} ON n.id = ${child}`
      : Prisma.sql`${this.linkRows} l`;
  }

  private async loadPages(parentIds: readonly number[], spec: PageSpec, read: PageRead): Promise<MemberPage<Node>[]> {
    this.pageBatches.observe(parentIds.length);
    const { parent, child, table, link } = this.side;
    const { flagValue, filter } = read;
    // An edge whose `since` was not read carries NaN, which the DateTime scalar refuses loudly.
    const since = read.since ? Prisma.sql`, ${sinceMs(link)} AS ${Prisma.raw(`"${link.since!.field}"`)}` : Prisma.empty;
    const page = pageSql(spec, this.columns);
    const compiled = filter?.compiled ?? null;
    const conditions = (condition: Prisma.Sql) =>
      and([...flagFilter(link, flagValue), ...(compiled ? [compiled.sql] : []), condition]);
    const ids = parentIds as number[];
    const cursor = edgeCursor(spec, this.side);
    const values = linkValues(link);
    const aggregated = (alias: string) =>
      Prisma.raw(link.values.map((column) => `, array_agg(${alias}.${column.sql})`).join(''));
    const byParent = new Map<number, MemberEdge<Node>[]>();
    const add = (parentId: number, edge: MemberEdge<Node>) => {
      const list = byParent.get(parentId);
      if (list) list.push(edge);
      else byParent.set(parentId, [edge]);
    };
    const count = link.values.length;
    const bySince = spec.field === sinceField(link);
    // A LATERAL subquery per parent keeps LIMIT per parent, so a page of a parent with 100,000
    // links reads about as many rows as the page holds when an index serves the ordering.
    if (spec.field === 'ID' || bySince) {
      // Ordered by the link's own columns, the page is found in one of the link's indexes. The
      // nodes come apart from the links, each once however many pages hold it. All in one JSON
      // value of columns, [[parents, node ids, values…, since?], [node columns…]], each an array
      // over the rows: JSON.parse reads it in native code, faster than the driver decodes as many
      // rows in JavaScript, and PostgreSQL turns an array into JSON at a fraction of what
      // json_build_array costs it for every row.
      const { rows } = await readValues(
        Prisma.sql`
        WITH m AS MATERIALIZED (
          SELECT p.id AS "parentId", x.*
          FROM unnest(${ids}::int[]) AS p(id)
          CROSS JOIN LATERAL (${pageQuery(
            page,
            (condition) => Prisma.sql`
              SELECT ${child} AS "childId"${values} ${since}
              FROM ${this.links(compiled, 'when filtered')}
              WHERE ${parent} = p.id AND ${conditions(condition)}`,
          )}) x
        )
        SELECT json_build_array(
          (SELECT json_build_array(array_agg(m."parentId"), array_agg(m."childId")${aggregated('m')}${read.since ? Prisma.sql`, array_agg(m.${Prisma.raw(`"${link.since!.field}"`)})` : Prisma.empty}) FROM m),
          (SELECT json_build_array(${table.aggregate})
           FROM ${table.from} WHERE n.id = ANY(ARRAY(SELECT DISTINCT "childId" FROM m)))
        )::text AS page`,
        { target: this.route.target },
      );
      // An aggregate over no rows is NULL: no links, no nodes.
      const [links, found] = JSON.parse(rows[0]![0] as string) as [
        [number[] | null, number[], ...unknown[][]],
        [unknown[] | null, ...unknown[][]],
      ];
      const [parents, children] = links;
      const linkColumns = links.slice(2, 2 + count) as unknown[][];
      const joined = read.since ? (links[2 + count] as number[]) : undefined;
      const nodes = new Map<number, Node>();
      const nodeIds = found[0] ?? [];
      for (let i = 0; i < nodeIds.length; i++)
        nodes.set(nodeIds[i] as number, table.readColumns(found as unknown[][], i));
      for (let i = 0; i < (parents?.length ?? 0); i++) {
        const node = nodes.get(children[i]!);
        if (node) add(parents![i]!, new MemberEdge(node, linkColumns, i, joined?.[i] ?? NaN, cursor));
      }
      // The rows do not keep the order of the LATERAL: restore the order the page was taken in.
      const sign = (spec.direction === 'ASC') !== spec.backward ? 1 : -1;
      for (const list of byParent.values()) sortEdges(list, sign, bySince);
    } else {
      // Ordered by a node column, the nodes are needed to order the page: rows of (parent, node
      // columns, link values, since), in page order. The parent's links are read and sorted, which
      // for a parent of 100,000 links would be 100,000 rows for a page of 10.
      // The parent's links first, then each one's node by its primary key, both behind OFFSET 0.
      // PostgreSQL does not know how many links this parent has (one huge parent skews the
      // average), and for that many it would rather walk every node by the ordering column probing
      // the link for each (the walk's plan without the walk's condition), or hash-join all the
      // nodes, reading every node either way.
      const sorted = pageQuery(
        page,
        (condition) => Prisma.sql`
          SELECT ${table.select}${values} ${since}
          FROM (SELECT * FROM ${this.linkRows} l WHERE ${parent} = p.id OFFSET 0) l
          CROSS JOIN LATERAL (SELECT * FROM ${table.from} WHERE n.id = ${child} OFFSET 0) n
          WHERE ${conditions(condition)}`,
      );
      const pages = Prisma.sql`
        SELECT p.id AS "parentId", m.*
        FROM unnest(${ids}::int[]) AS p(id)
        ${this.walkable(flagValue) ? this.sortedOrWalked(spec, sorted, since, read) : Prisma.sql`CROSS JOIN LATERAL (${sorted}) m`}`;
      // One JSON value of columns, as for the link's orderings; the aggregates take the rows in the
      // order the pages give them.
      const { rows } = await readValues(
        Prisma.sql`
        SELECT json_build_array(
          array_agg(r."parentId")${aggregated('r')},
          ${read.since ? Prisma.sql`array_agg(r.${Prisma.raw(`"${link.since!.field}"`)})` : Prisma.sql`NULL`},
          json_build_array(${table.aggregateRows})
        )::text AS page
        FROM (${pages}) r`,
        { target: this.route.target },
      );
      // An aggregate over no rows is NULL: no edges.
      const parsed = JSON.parse(rows[0]![0] as string) as unknown[];
      const parents = parsed[0] as number[] | null;
      const linkColumns = parsed.slice(1, 1 + count) as unknown[][];
      const joined = parsed[1 + count] as number[] | null;
      const columns = parsed[2 + count] as unknown[][];
      for (let i = 0; i < (parents?.length ?? 0); i++) {
        const edge = new MemberEdge(table.readColumns(columns, i), linkColumns, i, joined?.[i] ?? NaN, cursor);
        add(parents![i]!, edge);
      }
    }
    return parentIds.map(
      (id) => new MemberPage(pageOfEdges(spec, byParent.get(id) ?? []), this, id, flagValue, filter),
    );
  }

  /**
   * Whether the counters give the size of the list a page is taken from: its total, or with a flag
   * value, a counter of the flagged links (a hero counts its teams, not those in training).
   */
  private walkable(flagValue: boolean | null | undefined): boolean {
    const { counters } = this.side;
    return !!counters && (flagValue == null || !!counters.training);
  }

  /**
   * The pages `m` of parents `p` whose sizes the counters give, choosing per parent between
   * reading and sorting its links (`sorted`) and walking the nodes' index on the ordering column,
   * probing the link for each node, until the page is full. For a page of k rows among H nodes, a
   * parent with c links costs about c rows read one way and k·H/c probes the other: the walk wins
   * when c² > k·H: a parent linked to every node reads k + 1 rows of the index instead of all its
   * links, and a parent of few links would probe many nodes per link found. A filter of unknown selectivity can make the walk read up to H nodes: it is taken
   * with a filter only when the parent holds at least a quarter of them (at most 4 times what the
   * sort reads).
   */
  private sortedOrWalked(spec: PageSpec, sorted: Prisma.Sql, since: Prisma.Sql, read: PageRead): Prisma.Sql {
    const { parent, child, table, counters, link } = this.side;
    const { flagValue, filter } = read;
    // The walk's LIMIT is written into the text: a named statement's generic plan, made without
    // the values, would take a LIMIT parameter for a tenth of the rows it limits, cost the walk as
    // far more probes than it makes, and so be compiled by PostgreSQL's JIT at every run; see
    // test/generic-plans.test.ts.
    const walked = pageQuery(
      pageSql(spec, table.orderColumns, { literalLimit: true }),
      (condition) => Prisma.sql`
        SELECT ${table.select}${linkValues(link)} ${since}
        FROM ${table.from}
        CROSS JOIN LATERAL (
          SELECT * FROM ${this.linkRows} l
          WHERE ${parent} = p.id AND ${child} = n.id AND ${and(flagFilter(link, flagValue))}
          -- OFFSET 0 keeps this a probe per node: PostgreSQL may not turn it into a join that reads the parent's links.
          OFFSET 0
        ) l
        WHERE ${and([...(filter ? [filter.compiled.sql] : []), condition])}`,
    );
    const total = counters!.total;
    const training = counters!.training ?? Prisma.sql`0`;
    const size = flagValue == null ? total : flagValue ? training : Prisma.sql`(${total} - ${training})`;
    // max(id) is one step down the primary key, always current (table statistics may be stale or
    // missing), and never below the number of nodes: wrong, if ever, towards sorting.
    const nodes = Prisma.sql`(SELECT max(id) FROM ${table.from})::float8`;
    const walk = Prisma.sql`${size}::float8 * ${size} > ${spec.size + 1}::float8 * ${nodes} ${
      filter ? Prisma.sql`AND ${size} * 4 >= ${nodes}` : Prisma.empty
    }`;
    // The conditions on g.walk do not depend on the rows of their branch: PostgreSQL checks them
    // once per parent (a one-time filter) and runs only the branch that is chosen.
    return Prisma.sql`
      -- OFFSET 0: one index lookup per parent, never a join that reads the whole table.
      CROSS JOIN LATERAL (SELECT ${walk} AS walk FROM ${counters!.from} WHERE c.id = p.id OFFSET 0) g
      CROSS JOIN LATERAL (
        SELECT * FROM (${sorted}) s WHERE NOT g.walk
        UNION ALL
        SELECT * FROM (${walked}) w WHERE g.walk
      ) m`;
  }

  private async loadStats(
    parentIds: readonly number[],
    flagValue: boolean | null | undefined,
    filter: CompiledFilter | null,
  ): Promise<ListStats[]> {
    const { parent, table, link } = this.side;
    const ids = parentIds as number[];
    const flagged = link.flag ? Prisma.sql`count(*) FILTER (WHERE l.${Prisma.raw(link.flag.sql)})::int` : Prisma.sql`0`;
    // The nodes' rows are read only for their columns' statistics or a filter on them.
    const rows = await readRows<Record<string, unknown>>(
      Prisma.sql`
        SELECT ${parent} AS "parentId", count(*)::int AS total, ${flagged} AS flagged${statsSelect(link, table, true)}
        FROM ${this.links(filter, table.stats.length > 0 ? 'always' : 'when filtered')}
        WHERE ${parent} = ANY(${ids}::int[]) AND ${and([...flagFilter(link, flagValue), ...(filter ? [filter.sql] : [])])}
        GROUP BY 1`,
      { planPerValue: filter?.planPerValue, target: this.route.target },
    );
    const byParent = new Map(rows.map((row) => [row.parentId as number, row]));
    return parentIds.map((id) => readStats(table as Entity, byParent.get(id)));
  }

  private async loadCounts(parentIds: readonly number[], filter: CompiledFilter | null): Promise<LinkCounts[]> {
    this.countBatches.observe(parentIds.length);
    const { parent, counters, link } = this.side;
    const ids = parentIds as number[];
    const flagged = link.flag ? Prisma.sql`count(*) FILTER (WHERE l.${Prisma.raw(link.flag.sql)})::int` : Prisma.sql`0`;
    // Without a counter of the flagged links, those are counted among the parent's links.
    const training =
      counters?.training ??
      (link.flag
        ? Prisma.sql`(SELECT count(*)::int FROM ${this.linkRows} l WHERE ${parent} = c.id AND l.${Prisma.raw(link.flag.sql)})`
        : Prisma.sql`0`);
    const rows = await readRows<LinkCounts & { parentId: number }>(
      // The counters count the links of now: a list as of an instant counts its periods.
      counters && !filter && !this.asOf
        ? Prisma.sql`
            SELECT c.id AS "parentId", ${counters.total} AS total, ${training} AS training
            FROM ${counters.from}
            WHERE c.id = ANY(${ids}::int[])`
        : Prisma.sql`
            SELECT ${parent} AS "parentId", count(*)::int AS total, ${flagged} AS training
            FROM ${this.links(filter, 'when filtered')}
            WHERE ${parent} = ANY(${ids}::int[]) AND ${filter?.sql ?? Prisma.sql`TRUE`}
            GROUP BY 1`,
      { planPerValue: filter?.planPerValue, target: this.route.target },
    );
    const counts = new Map(rows.map((row) => [row.parentId, row]));
    return parentIds.map((id) => counts.get(id) ?? { total: 0, training: 0 });
  }
}

/** `, l.a, l.b`: the link's values, as a page's statement selects them after other columns. */
function linkValues(link: Link): Prisma.Sql {
  return Prisma.raw(link.values.map((column) => `, l.${column.sql}`).join(''));
}

/**
 * A request's loaders of every side of a link, made on first use, whose reads go where `route`
 * says when they run (a replica, or the primary).
 */
export class LinkLoaders {
  /** By side, then by the instant read as of (its milliseconds, or '' for now). */
  private readonly made = new Map<LinkSide, Map<number | '', LinkLoader<{ id: number }>>>();
  private readonly histories = new Map<LinkSide, HistoryLoader>();

  constructor(private readonly route: Readonly<ReadRoute>) {}

  /** The loader of a side's pages, now or as of an instant (checked by asOfArg). */
  of<Node extends { id: number }>(side: LinkSide<Node>, asOf: Date | null = null): LinkLoader<Node> {
    let bySide = this.made.get(side);
    if (!bySide) this.made.set(side, (bySide = new Map()));
    const key = asOf ? asOf.getTime() : '';
    let loader = bySide.get(key) as LinkLoader<Node> | undefined;
    if (!loader) {
      loader = new LinkLoader(side, this.route, asOf);
      bySide.set(key, loader as unknown as LinkLoader<{ id: number }>);
    }
    return loader;
  }

  /** The loader of a side's history of periods (the link must keep one: LinkSpec.history). */
  historyOf(side: LinkSide): HistoryLoader {
    let loader = this.histories.get(side);
    if (!loader) this.histories.set(side, (loader = new HistoryLoader(side, this.route)));
    return loader;
  }

  /** The loaders made so far of the sides of `link` whose parents are `end`'s, histories included. */
  loadersOf(link: Link, parentEnd: number): { clear(...parentIds: number[]): void }[] {
    const loaders: { clear(...parentIds: number[]): void }[] = [];
    for (const [side, bySide] of this.made) {
      if (side.link === link && side.parentEnd === link.ends[parentEnd]) loaders.push(...bySide.values());
    }
    for (const [side, loader] of this.histories) {
      if (side.link === link && side.parentEnd === link.ends[parentEnd]) loaders.push(loader);
    }
    return loaders;
  }
}
