import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import { readRows, readValues } from '../db';
import type { ReadRoute } from '../db/replica-routing';
import { batchSizeOf } from '../metrics';
import type { Hero, Team } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import { type CompiledFilter, compileFilter, type HeroFilter, type NodeKind, type TeamFilter } from './filters';
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
import { asksForPage, selects } from './selection';
import { heroTable, type NodeTable, teamTable } from './tables';

// One side of the many-to-many link: the nodes reached from a parent through HeroTeamLink.
interface LinkSide<Node> {
  /** The field it serves, as the metrics name its loaders (`Hero.teams`). */
  field: string;
  /** The type of the nodes reached, as filters name it. */
  kind: NodeKind;
  /** The link column holding the parent's id. */
  parent: Prisma.Sql;
  /** The link column holding the node's id; ordering by ID uses it so the link's index serves. */
  child: Prisma.Sql;
  table: NodeTable<Node>;
  /**
   * Counters kept on the parent's table by triggers on HeroTeamLink: a count is then one row read,
   * however many links the parent has. Without them, counts count the link's index.
   */
  counters?: { from: Prisma.Sql; total: Prisma.Sql; training: Prisma.Sql };
}

const teamsOfHero: LinkSide<Team> = {
  field: 'Hero.teams',
  kind: 'Team',
  parent: Prisma.sql`l."heroId"`,
  child: Prisma.sql`l."teamId"`,
  table: teamTable,
};
const heroesOfTeam: LinkSide<Hero> = {
  field: 'Team.heroes',
  kind: 'Hero',
  parent: Prisma.sql`l."teamId"`,
  child: Prisma.sql`l."heroId"`,
  table: heroTable,
  // A team can hold 100,000 heroes: counting them would cost what the page was designed not to.
  counters: {
    from: Prisma.sql`"Team" c`,
    total: Prisma.sql`c."heroCount"`,
    training: Prisma.sql`c."trainingHeroCount"`,
  },
};

/** When a membership began, in milliseconds since the epoch: a plain number in rows and in JSON. */
const joinedAtMs = Prisma.sql`(extract(epoch FROM l."joinedAt") * 1000)::float8`;

/** The orderings of a link connection: the node's columns, and the membership's own. */
function linkColumns<Node>(side: LinkSide<Node>): AnyColumns {
  return {
    ...side.table.columns,
    ID: { sql: side.child, type: 'int', nullable: false, output: 'id' },
    JOINED_AT: { sql: Prisma.sql`l."joinedAt"`, type: 'timestamp', nullable: false, output: 'joinedAt' },
  };
}

interface LinkCounts {
  total: number;
  training: number;
}

/** An edge of one side of the link: the node, and the membership's own fields. */
export class MemberEdge<Node extends { id: number }> {
  constructor(
    readonly node: Node,
    readonly isTraining: boolean,
    /** When the membership began, in milliseconds since the epoch. */
    readonly joinedAt: number,
    private readonly cursorOf: (edge: MemberEdge<Node>) => string,
  ) {}

  /** Encoded only when a client asks for it (most queries never do). */
  get cursor(): string {
    return this.cursorOf(this);
  }
}

/** How the edges of pages of this spec encode their cursors. */
function edgeCursor<Node extends { id: number }>(
  spec: PageSpec,
  table: NodeTable<Node>,
): (edge: MemberEdge<Node>) => string {
  const { field } = spec;
  if (field === 'JOINED_AT') return (edge) => encodeCursor(field, edge.joinedAt, edge.node.id);
  return (edge) => encodeCursor(field, table.sortKey(field, edge.node), edge.node.id);
}

/**
 * A membership as an edge of the link connection it belongs to, with the cursor of the
 * connection's default order (by id): what a mutation's payload hands to Relay's @appendEdge.
 */
export function membershipEdge<Node extends { id: number }>(
  node: Node,
  link: { isTraining: boolean; joinedAt: Date },
): MemberEdge<Node> {
  return new MemberEdge(node, link.isTraining, link.joinedAt.getTime(), (edge) =>
    encodeCursor('ID', null, edge.node.id),
  );
}

/** What a link connection field needs read: its page (with joinedAt or not), or only its count. */
type Wanted = 'page' | 'page with joinedAt' | 'count only';

function pageWanted(info: GraphQLResolveInfo, orderBy: OrderArg<string> | null | undefined): Wanted {
  if (!asksForPage(info)) return 'count only';
  return orderBy?.field === 'JOINED_AT' || selects(info, ['edges', 'joinedAt']) ? 'page with joinedAt' : 'page';
}

/** What a page statement reads besides the page: a training filter, joinedAt, a filter. */
interface PageRead {
  isTraining: boolean | null | undefined;
  joinedAt: boolean;
  filter: LinkFilter | null;
}

/**
 * A filter on the far side of the link, compiled once for every parent that asks for it: for the
 * pages, in a form no name index serves (a parent's page looks at the parent's links, and reading
 * every hero whose name holds a common trigram costs more: 8,338 heroes against 50 links for
 * "owl" in a 50-hero team of the bench data set); for the counts, in the form the trigram index
 * serves (the Giant team's count of "owl": 27 against 91 ms, the planner choosing per text).
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
    readonly isTraining: boolean | null | undefined,
    readonly filter: LinkFilter | null,
  ) {
    this.edges = page.edges;
    this.pageInfo = page.pageInfo;
  }

  totalCount(): Promise<number> {
    return this.loader.count(this.parentId, this.isTraining, this.filter);
  }
}

/**
 * Sorts a short list of edges in place, without allocating: by node id (sign 1: ascending), or by
 * when the membership began and then node id.
 */
function sortEdges<Node extends { id: number }>(edges: MemberEdge<Node>[], sign: number, byJoinedAt: boolean): void {
  const after = (a: MemberEdge<Node>, b: MemberEdge<Node>) =>
    sign * (byJoinedAt && a.joinedAt !== b.joinedAt ? a.joinedAt - b.joinedAt : a.node.id - b.node.id) > 0;
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

function trainingFilter(isTraining: boolean | null | undefined): Prisma.Sql[] {
  return isTraining == null ? [] : [Prisma.sql`l."isTraining" = ${isTraining}`];
}

export type LinkArgs = ConnectionArgs & {
  orderBy?: OrderArg<string> | null;
  isTraining?: boolean | null;
  where?: HeroFilter | TeamFilter | null;
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
  private readonly columns: AnyColumns;
  private readonly pageBatches: { observe(keys: number): void };
  private readonly countBatches: { observe(keys: number): void };

  constructor(
    private readonly side: LinkSide<Node>,
    private readonly route: Readonly<ReadRoute>,
  ) {
    this.columns = linkColumns(side);
    this.pageBatches = batchSizeOf(side.field);
    this.countBatches = batchSizeOf(`${side.field}.totalCount`);
  }

  /**
   * The connection a field resolves to: one page for this parent, and its count on demand. With
   * the field's `info`, the page is read only if the field asks for edges or pageInfo (a client may
   * want only the totalCount), and when each membership began only if its edges ask for `joinedAt`
   * or the page is ordered by it: most queries do not, and it costs a share of a large page's SQL.
   */
  connection(parentId: number, args: LinkArgs, info?: GraphQLResolveInfo): Promise<MemberPage<Node>> {
    // A thousand parents ask with the same arguments: check them and find their pages once.
    const { first, last, after, before, orderBy, isTraining, where } = args;
    const wanted = !info ? 'page with joinedAt' : pageWanted(info, orderBy);
    const whereKey = where == null ? '' : JSON.stringify(where);
    const argsKey = `${first}|${last}|${after}|${before}|${orderBy?.field}|${orderBy?.direction}|${isTraining}|${wanted}|${whereKey}`;
    let source = this.pagesByArgs.get(argsKey);
    if (!source) {
      const spec = pageSpec(args, orderBy, this.columns);
      const at = { alias: 'n', id: this.side.child };
      const compiled = compileFilter(this.side.kind, where, at, { nameIndex: false });
      const filter = compiled && { key: whereKey, compiled, counted: compileFilter(this.side.kind, where, at)! };
      if (wanted === 'count only') {
        source = { load: async (id) => new MemberPage(pageOfEdges(spec, []), this, id, isTraining, filter) };
      } else {
        const joinedAt = wanted === 'page with joinedAt';
        const key = `${specKey(spec)}|${isTraining}|${joinedAt}|${filter?.key ?? ''}`;
        let loader = this.pages.get(key);
        if (!loader) {
          const read = { isTraining, joinedAt, filter };
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
  async count(parentId: number, isTraining: boolean | null | undefined, filter: LinkFilter | null): Promise<number> {
    let loader = filter ? this.filteredCounts.get(filter.key) : this.counts;
    if (!loader) {
      const counted = filter!.counted;
      loader = new DataLoader((ids) => this.loadCounts(ids, counted), { maxBatchSize: MAX_BATCH });
      this.filteredCounts.set(filter!.key, loader);
    }
    const { total, training } = await loader.load(parentId);
    return isTraining == null ? total : isTraining ? training : total - training;
  }

  /** Forgets what was loaded for these parents, or for all when none are given. */
  clear(...parentIds: number[]): void {
    for (const loader of [...this.pages.values(), this.counts, ...this.filteredCounts.values()]) {
      if (parentIds.length === 0) loader.clearAll();
      else for (const id of parentIds) loader.clear(id);
    }
  }

  /** The link rows of the parents, joined to their nodes when the filter reads the nodes' rows. */
  private links(filter: CompiledFilter | null, nodes: 'when filtered' | 'always'): Prisma.Sql {
    const { child, table } = this.side;
    return nodes === 'always' || filter?.readsRow
      ? Prisma.sql`"HeroTeamLink" l JOIN ${table.from} ON n.id = ${child}`
      : Prisma.sql`"HeroTeamLink" l`;
  }

  private async loadPages(parentIds: readonly number[], spec: PageSpec, read: PageRead): Promise<MemberPage<Node>[]> {
    this.pageBatches.observe(parentIds.length);
    const { parent, child, table } = this.side;
    const { isTraining, filter } = read;
    // An edge whose joinedAt was not read carries NaN, which the DateTime scalar refuses loudly.
    const joinedAt = read.joinedAt ? Prisma.sql`, ${joinedAtMs} AS "joinedAt"` : Prisma.empty;
    const page = pageSql(spec, this.columns);
    const compiled = filter?.compiled ?? null;
    const conditions = (condition: Prisma.Sql) =>
      and([...trainingFilter(isTraining), ...(compiled ? [compiled.sql] : []), condition]);
    const ids = parentIds as number[];
    const cursor = edgeCursor(spec, table);
    const byParent = new Map<number, MemberEdge<Node>[]>();
    const add = (parentId: number, edge: MemberEdge<Node>) => {
      const list = byParent.get(parentId);
      if (list) list.push(edge);
      else byParent.set(parentId, [edge]);
    };
    // A LATERAL subquery per parent keeps LIMIT per parent, so a page of a team with 100,000
    // heroes reads about as many rows as the page holds when an index serves the ordering.
    if (spec.field === 'ID' || spec.field === 'JOINED_AT') {
      // Ordered by the link's own columns, the page is found in one of the link's indexes. The
      // nodes come apart from the memberships, each once however many pages hold it (the 6,000
      // memberships of 1,000 heroes hold about 1,000 teams). All in one JSON value of columns,
      // [[parents, node ids, isTraining, joinedAt?], [node columns…]], each an array over the rows:
      // JSON.parse reads it in native code, several times faster than the driver decodes as many
      // rows in JavaScript (Q2: 11.7 against 15.8 ms of CPU per request), and PostgreSQL turns an
      // array into JSON at a fraction of what json_build_array costs it for every row (Q1's
      // statement, named: 2.1 against 2.8-3.1 ms of PostgreSQL CPU, 0.6 against 0.9-1.0 ms in the
      // client).
      const { rows } = await readValues(
        Prisma.sql`
        WITH m AS MATERIALIZED (
          SELECT p.id AS "parentId", x.*
          FROM unnest(${ids}::int[]) AS p(id)
          CROSS JOIN LATERAL (${pageQuery(
            page,
            (condition) => Prisma.sql`
              SELECT ${child} AS "childId", l."isTraining" ${joinedAt}
              FROM ${this.links(compiled, 'when filtered')}
              WHERE ${parent} = p.id AND ${conditions(condition)}`,
          )}) x
        )
        SELECT json_build_array(
          (SELECT json_build_array(array_agg(m."parentId"), array_agg(m."childId"), array_agg(m."isTraining")${read.joinedAt ? Prisma.sql`, array_agg(m."joinedAt")` : Prisma.empty}) FROM m),
          (SELECT json_build_array(${table.aggregate})
           FROM ${table.from} WHERE n.id = ANY(ARRAY(SELECT DISTINCT "childId" FROM m)))
        )::text AS page`,
        { target: this.route.target },
      );
      // An aggregate over no rows is NULL: no memberships, no nodes.
      const [links, found] = JSON.parse(rows[0]![0] as string) as [
        [number[] | null, number[], boolean[], number[]?],
        [unknown[] | null, ...unknown[][]],
      ];
      const [parents, children, training, joined] = links;
      const nodes = new Map<number, Node>();
      const nodeIds = found[0] ?? [];
      for (let i = 0; i < nodeIds.length; i++)
        nodes.set(nodeIds[i] as number, table.readColumns(found as unknown[][], i));
      for (let i = 0; i < (parents?.length ?? 0); i++) {
        const node = nodes.get(children[i]!);
        if (node) add(parents![i]!, new MemberEdge(node, training[i]!, joined?.[i] ?? NaN, cursor));
      }
      // The rows do not keep the order of the LATERAL: restore the order the page was taken in.
      const sign = (spec.direction === 'ASC') !== spec.backward ? 1 : -1;
      for (const list of byParent.values()) sortEdges(list, sign, spec.field === 'JOINED_AT');
    } else {
      // Ordered by a node column, the nodes are needed to order the page: rows of (parent, node
      // columns, isTraining, joinedAt), in page order. The parent's links are read and sorted, which
      // for a team of 100,000 heroes would be 100,000 rows for a page of 10.
      // The parent's links first, then each one's node by its primary key, both behind OFFSET 0.
      // PostgreSQL does not know how many links this parent has (the Giant team skews the
      // average: 1,040 per team at S = 1,000, where most have 50), and for that many it would
      // rather walk every node by the ordering column probing the link for each (the walk's plan
      // without the walk's condition), or hash-join all the nodes: Q5 at S = 1,000 read 2,000,000
      // heroes either way (2.7 s, then 0.23 s of PostgreSQL).
      const sorted = pageQuery(
        page,
        (condition) => Prisma.sql`
          SELECT ${table.select}, l."isTraining" ${joinedAt}
          FROM (SELECT * FROM "HeroTeamLink" l WHERE ${parent} = p.id OFFSET 0) l
          CROSS JOIN LATERAL (SELECT * FROM ${table.from} WHERE n.id = ${child} OFFSET 0) n
          WHERE ${conditions(condition)}`,
      );
      const pages = Prisma.sql`
        SELECT p.id AS "parentId", m.*
        FROM unnest(${ids}::int[]) AS p(id)
        ${this.side.counters ? this.sortedOrWalked(spec, sorted, joinedAt, read) : Prisma.sql`CROSS JOIN LATERAL (${sorted}) m`}`;
      // One JSON value of columns, as for the link's orderings (Q5, 1,000 rows: far less CPU than
      // the driver decoding rows); the aggregates take the rows in the order the pages give them.
      const { rows } = await readValues(
        Prisma.sql`
        SELECT json_build_array(
          array_agg(r."parentId"), array_agg(r."isTraining"),
          ${read.joinedAt ? Prisma.sql`array_agg(r."joinedAt")` : Prisma.sql`NULL`},
          json_build_array(${table.aggregateRows})
        )::text AS page
        FROM (${pages}) r`,
        { target: this.route.target },
      );
      // An aggregate over no rows is NULL: no edges.
      const [parents, training, joined, columns] = JSON.parse(rows[0]![0] as string) as [
        number[] | null,
        boolean[],
        number[] | null,
        unknown[][],
      ];
      for (let i = 0; i < (parents?.length ?? 0); i++) {
        const edge = new MemberEdge(table.readColumns(columns, i), training[i]!, joined?.[i] ?? NaN, cursor);
        add(parents![i]!, edge);
      }
    }
    return parentIds.map(
      (id) => new MemberPage(pageOfEdges(spec, byParent.get(id) ?? []), this, id, isTraining, filter),
    );
  }

  /**
   * The pages `m` of parents `p` whose sizes the counters give, choosing per parent between
   * reading and sorting its links (`sorted`) and walking the nodes' index on the ordering column,
   * probing the link for each node, until the page is full. For a page of k rows among H nodes, a
   * parent with c members costs about c rows read one way and k·H/c probes the other: the walk
   * wins when c² > k·H. For the Giant team (100,000 of 100,000 heroes) a page of 10 reads 11 rows
   * of the index instead of 100,000 links; for a 50-hero team the walk would probe 2,000 heroes per
   * member found. A filter of unknown selectivity can make the walk read up to H nodes: it is taken
   * with a filter only when the parent holds at least a quarter of them (at most 4 times what the
   * sort reads).
   */
  private sortedOrWalked(spec: PageSpec, sorted: Prisma.Sql, joinedAt: Prisma.Sql, read: PageRead): Prisma.Sql {
    const { parent, child, table, counters } = this.side;
    const { isTraining, filter } = read;
    // The walk's LIMIT is written into the text: a named statement's generic plan, made without
    // the values, would take a LIMIT parameter for a tenth of the rows it limits, cost the walk as
    // 10,000 probes of 100,000 heroes (866,000 for Q6 at S = 10,000), and so be compiled by
    // PostgreSQL's JIT at every run (200-400 ms each); see test/generic-plans.test.ts.
    const walked = pageQuery(
      pageSql(spec, table.columns, { literalLimit: true }),
      (condition) => Prisma.sql`
        SELECT ${table.select}, l."isTraining" ${joinedAt}
        FROM ${table.from}
        CROSS JOIN LATERAL (
          SELECT * FROM "HeroTeamLink" l
          WHERE ${parent} = p.id AND ${child} = n.id AND ${and(trainingFilter(isTraining))}
          -- OFFSET 0 keeps this a probe per node: PostgreSQL may not turn it into a join that reads the parent's links.
          OFFSET 0
        ) l
        WHERE ${and([...(filter ? [filter.compiled.sql] : []), condition])}`,
    );
    const { total, training } = counters!;
    const size = isTraining == null ? total : isTraining ? training : Prisma.sql`(${total} - ${training})`;
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

  private async loadCounts(parentIds: readonly number[], filter: CompiledFilter | null): Promise<LinkCounts[]> {
    this.countBatches.observe(parentIds.length);
    const { parent, counters } = this.side;
    const ids = parentIds as number[];
    const rows = await readRows<LinkCounts & { parentId: number }>(
      counters && !filter
        ? Prisma.sql`
            SELECT c.id AS "parentId", ${counters.total} AS total, ${counters.training} AS training
            FROM ${counters.from}
            WHERE c.id = ANY(${ids}::int[])`
        : Prisma.sql`
            SELECT ${parent} AS "parentId", count(*)::int AS total, count(*) FILTER (WHERE l."isTraining")::int AS training
            FROM ${this.links(filter, 'when filtered')}
            WHERE ${parent} = ANY(${ids}::int[]) AND ${filter?.sql ?? Prisma.sql`TRUE`}
            GROUP BY 1`,
      { planPerValue: filter?.planPerValue, target: this.route.target },
    );
    const counts = new Map(rows.map((row) => [row.parentId, row]));
    return parentIds.map((id) => counts.get(id) ?? { total: 0, training: 0 });
  }
}

/** Loaders whose reads go where `route` says when they run (a replica, or the primary). */
export function createLinkLoaders(route: Readonly<ReadRoute>) {
  return {
    teamsOfHero: new LinkLoader<Team>(teamsOfHero, route),
    heroesOfTeam: new LinkLoader<Hero>(heroesOfTeam, route),
  };
}
