import DataLoader from 'dataloader';
import { readRows, readValues } from '../db';
import type { Hero, Team } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import {
  and,
  type ConnectionArgs,
  cursorOf,
  Edge,
  type OrderArg,
  type Page,
  type PageInfo,
  type PageSpec,
  pageOfEdges,
  pageSpec,
  pageSql,
  specKey,
} from './pagination';
import { heroTable, type NodeTable, teamTable } from './tables';

// One side of the many-to-many link: the nodes reached from a parent through HeroTeamLink.
interface LinkSide<Node> {
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

const teamsOfHero: LinkSide<Team> = { parent: Prisma.sql`l."heroId"`, child: Prisma.sql`l."teamId"`, table: teamTable };
const heroesOfTeam: LinkSide<Hero> = {
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

interface LinkCounts {
  total: number;
  training: number;
}

/** An edge of one side of the link: the node and whether the membership is in training. */
export class MemberEdge<Node extends { id: number }> extends Edge<Node> {
  constructor(
    node: Node,
    cursor: (node: Node) => string,
    readonly isTraining: boolean,
  ) {
    super(node, cursor);
  }
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
  ) {
    this.edges = page.edges;
    this.pageInfo = page.pageInfo;
  }

  totalCount(): Promise<number> {
    return this.loader.count(this.parentId, this.isTraining);
  }
}

/** Sorts a short list of edges by node id (sign 1: ascending) in place, without allocating. */
function sortById<Node extends { id: number }>(edges: MemberEdge<Node>[], sign: number): void {
  for (let i = 1; i < edges.length; i++) {
    const edge = edges[i]!;
    let j = i - 1;
    while (j >= 0 && sign * (edges[j]!.node.id - edge.node.id) > 0) {
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

/**
 * Pages and counts of one side of the link, batched per request: every parent asking for the same
 * page (same order, size, cursors and filter) shares one statement, whatever the number of parents.
 */
export class LinkLoader<Node extends { id: number }> {
  private readonly pages = new Map<string, DataLoader<number, MemberPage<Node>>>();
  private readonly pagesByArgs = new Map<string, DataLoader<number, MemberPage<Node>>>();
  private readonly counts = new DataLoader<number, LinkCounts>((ids) => this.loadCounts(ids), {
    maxBatchSize: MAX_BATCH,
  });

  constructor(private readonly side: LinkSide<Node>) {}

  /** The connection a field resolves to: one page for this parent, and its count on demand. */
  connection(
    parentId: number,
    args: ConnectionArgs & { orderBy?: OrderArg<string> | null; isTraining?: boolean | null },
  ): Promise<MemberPage<Node>> {
    // A thousand parents ask with the same arguments: check them and find their loader once.
    const { first, last, after, before, orderBy, isTraining } = args;
    const argsKey = `${first}|${last}|${after}|${before}|${orderBy?.field}|${orderBy?.direction}|${isTraining}`;
    let loader = this.pagesByArgs.get(argsKey);
    if (!loader) {
      const spec = pageSpec(args, orderBy, this.side.table.columns);
      const key = `${specKey(spec)}|${isTraining}`;
      loader = this.pages.get(key);
      if (!loader) {
        loader = new DataLoader((ids) => this.loadPages(ids, spec, isTraining), { maxBatchSize: MAX_BATCH });
        this.pages.set(key, loader);
      }
      this.pagesByArgs.set(argsKey, loader);
    }
    return loader.load(parentId);
  }

  /** How many nodes the parent links to, all or only those in training (or not): one batch for all three. */
  async count(parentId: number, isTraining?: boolean | null): Promise<number> {
    const { total, training } = await this.counts.load(parentId);
    return isTraining == null ? total : isTraining ? training : total - training;
  }

  /** Forgets what was loaded for these parents, or for all when none are given. */
  clear(...parentIds: number[]): void {
    for (const loader of [...this.pages.values(), this.counts]) {
      if (parentIds.length === 0) loader.clearAll();
      else for (const id of parentIds) loader.clear(id);
    }
  }

  private async loadPages(
    parentIds: readonly number[],
    spec: PageSpec,
    isTraining: boolean | null | undefined,
  ): Promise<MemberPage<Node>[]> {
    const { parent, child, table } = this.side;
    const columns = { ...table.columns, ID: { sql: child, type: 'int' as const, nullable: false } };
    const { where, orderLimit } = pageSql(spec, columns);
    const filter = and([...trainingFilter(isTraining), ...where]);
    const ids = parentIds as number[];
    const cursor = cursorOf(spec, (node: Node) => table.sortKey(spec.field, node));
    const byParent = new Map<number, MemberEdge<Node>[]>();
    const add = (parentId: number, edge: MemberEdge<Node>) => {
      const list = byParent.get(parentId);
      if (list) list.push(edge);
      else byParent.set(parentId, [edge]);
    };
    // A LATERAL subquery per parent keeps LIMIT per parent, so a page of a team with 100,000
    // heroes reads about as many rows as the page holds when an index serves the ordering.
    if (spec.field === 'ID') {
      // Ordered by id, the page is found in the link's index alone. The nodes come apart from the
      // memberships, each once however many pages hold it (the 6,000 memberships of 1,000 heroes
      // hold about 1,000 teams). All in one JSON value, [[[parent, node id, isTraining]…],
      // [[node columns]…]]: JSON.parse reads it in native code, several times faster than the
      // driver decodes as many rows in JavaScript (Q2: 11.7 against 15.8 ms of CPU per request).
      const { rows } = await readValues(Prisma.sql`
        WITH m AS MATERIALIZED (
          SELECT p.id AS "parentId", x."childId", x."isTraining"
          FROM unnest(${ids}::int[]) AS p(id)
          CROSS JOIN LATERAL (
            SELECT ${child} AS "childId", l."isTraining"
            FROM "HeroTeamLink" l
            WHERE ${parent} = p.id AND ${filter}
            ${orderLimit}
          ) x
        )
        SELECT json_build_array(
          (SELECT coalesce(json_agg(json_build_array(m."parentId", m."childId", m."isTraining")), '[]') FROM m),
          (SELECT coalesce(json_agg(json_build_array(${table.select})), '[]')
           FROM ${table.from} WHERE n.id = ANY(ARRAY(SELECT DISTINCT "childId" FROM m)))
        )::text AS page`);
      const [links, found] = JSON.parse(rows[0]![0] as string) as [[number, number, boolean][], unknown[][]];
      const nodes = new Map<number, Node>();
      for (const values of found) nodes.set(values[0] as number, table.read(values, 0));
      for (const [parentId, childId, isTraining] of links) {
        const node = nodes.get(childId);
        if (node) add(parentId, new MemberEdge(node, cursor, isTraining));
      }
      // The rows do not keep the order of the LATERAL: restore the order the page was taken in.
      const sign = (spec.direction === 'ASC') !== spec.backward ? 1 : -1;
      for (const list of byParent.values()) sortById(list, sign);
    } else {
      // Ordered by a node column, the nodes are needed to order the page: rows of (parent, node
      // columns, isTraining), in page order.
      const { rows } = await readValues(Prisma.sql`
        SELECT p.id AS "parentId", m.*
        FROM unnest(${ids}::int[]) AS p(id)
        CROSS JOIN LATERAL (
          SELECT ${table.select}, l."isTraining"
          FROM "HeroTeamLink" l JOIN ${table.from} ON n.id = ${child}
          WHERE ${parent} = p.id AND ${filter}
          ${orderLimit}
        ) m`);
      for (const values of rows) {
        add(values[0] as number, new MemberEdge(table.read(values, 1), cursor, values[1 + table.width] as boolean));
      }
    }
    return parentIds.map((id) => new MemberPage(pageOfEdges(spec, byParent.get(id) ?? []), this, id, isTraining));
  }

  private async loadCounts(parentIds: readonly number[]): Promise<LinkCounts[]> {
    const { parent, counters } = this.side;
    const ids = parentIds as number[];
    const rows = await readRows<LinkCounts & { parentId: number }>(
      counters
        ? Prisma.sql`
            SELECT c.id AS "parentId", ${counters.total} AS total, ${counters.training} AS training
            FROM ${counters.from}
            WHERE c.id = ANY(${ids}::int[])`
        : Prisma.sql`
            SELECT ${parent} AS "parentId", count(*)::int AS total, count(*) FILTER (WHERE l."isTraining")::int AS training
            FROM "HeroTeamLink" l
            WHERE ${parent} = ANY(${ids}::int[])
            GROUP BY 1`,
    );
    const counts = new Map(rows.map((row) => [row.parentId, row]));
    return parentIds.map((id) => counts.get(id) ?? { total: 0, training: 0 });
  }
}

export function createLinkLoaders() {
  return {
    teamsOfHero: new LinkLoader<Team>(teamsOfHero),
    heroesOfTeam: new LinkLoader<Hero>(heroesOfTeam),
  };
}
