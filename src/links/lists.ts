import type { GraphQLResolveInfo } from 'graphql';
import { readRows, readValues } from '../db';
import type { ReadRoute } from '../db/replica-routing';
import { Prisma } from '../generated/prisma/client';
import { compileFilter, type NodeFilter } from './filters';
import { and, type ConnectionArgs, type OrderArg, pageQuery, pageSpec, pageSql, toPage } from './pagination';
import { ListAggregate, type ListStats, readStats, statsSelect } from './aggregates';
import { asksForPage } from './selection';
import type { Entity, Link } from './registry';

/**
 * One page of a whole table of one of the link's entities (a root connection), filtered; the count
 * runs only when asked for, and the page only when the field's selection (`info`) asks for edges or
 * pageInfo. Both read where the operation's `route` says.
 */
export async function listPage<Row extends { id: number }>(
  link: Link,
  table: Entity<Row>,
  args: ConnectionArgs & { orderBy?: OrderArg<string> | null; where?: NodeFilter | null },
  info: GraphQLResolveInfo,
  route: Readonly<ReadRoute>,
) {
  const filter = compileFilter(link, table, args.where, { alias: 'n' });
  const spec = pageSpec(args, args.orderBy, table.orderColumns, Object.keys(link.sides).join(', '));
  const page = pageSql(spec, table.orderColumns);
  const read = { planPerValue: filter?.planPerValue, target: route.target };
  const totalCount = async () => {
    const [row] = await readRows<{ count: number }>(
      Prisma.sql`
        SELECT count(*)::int AS count FROM ${table.from} WHERE ${filter?.sql ?? Prisma.sql`TRUE`}`,
      read,
    );
    return row?.count ?? 0;
  };
  // One statement for the count and every statistic, read once however many fields ask.
  let stats: Promise<ListStats> | undefined;
  const listStats = () =>
    (stats ??= readRows<Record<string, unknown>>(
      Prisma.sql`
        SELECT count(*)::int AS total${statsSelect(null, table as Entity, false)}
        FROM ${table.from} WHERE ${filter?.sql ?? Prisma.sql`TRUE`}`,
      read,
    ).then(([row]) => readStats(table as Entity, row)));
  const { rows } = asksForPage(info)
    ? await readValues(
        pageQuery(
          page,
          (condition) => Prisma.sql`
            SELECT ${table.select} FROM ${table.from}
            WHERE ${and([...(filter ? [filter.sql] : []), condition])}`,
        ),
        read,
      )
    : { rows: [] };
  return {
    ...toPage(
      spec,
      rows.map((values) => table.read(values)),
      (row) => table.sortKey(spec.field, row),
    ),
    totalCount,
    /** The whole (filtered) list's aggregate; `stats`: a statistic is asked for, and brings the count along. */
    aggregate: (stats: boolean) =>
      new ListAggregate({ counts: async () => ({ total: await totalCount(), flagged: 0 }), stats: listStats }, stats),
  };
}
