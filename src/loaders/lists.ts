import { readRows, readValues } from '../db';
import { Prisma } from '../generated/prisma/client';
import type { CompiledFilter } from './filters';
import { and, type ConnectionArgs, type OrderArg, pageSpec, pageSql, toPage } from './pagination';
import type { NodeTable } from './tables';

/** One page of a whole table (a root connection), filtered; the count runs only when asked for. */
export async function listPage<Row extends { id: number }>(
  table: NodeTable<Row>,
  args: ConnectionArgs & { orderBy?: OrderArg<string> | null },
  filter: CompiledFilter | null,
) {
  const spec = pageSpec(args, args.orderBy, table.columns);
  const page = pageSql(spec, table.columns);
  const { rows } = await readValues(Prisma.sql`
    SELECT ${table.select} FROM ${table.from}
    WHERE ${and([...(filter ? [filter.sql] : []), ...page.where])} ${page.orderLimit}`);
  return {
    ...toPage(
      spec,
      rows.map((values) => table.read(values, 0)),
      (row) => table.sortKey(spec.field, row),
    ),
    totalCount: async () => {
      const [row] = await readRows<{ count: number }>(Prisma.sql`
        SELECT count(*)::int AS count FROM ${table.from} WHERE ${filter?.sql ?? Prisma.sql`TRUE`}`);
      return row?.count ?? 0;
    },
  };
}
