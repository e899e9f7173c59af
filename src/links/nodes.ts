import DataLoader from 'dataloader';
import { readValues } from '../db';
import type { ReadRoute } from '../db/replica-routing';
import { batchSizeOf } from '../metrics';
import type { Hero, Team } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import { heroTable, type NodeTable, teamTable } from './tables';

// Heroes and teams by id, for `hero(id:)`, `team(id:)`, `node(id:)` and `nodes(ids:)`: one
// statement per type for all the ids a request asks for. Prisma Client's findUnique, which these
// used, costs about 0.4 ms of CPU per id in its query compiler even when it batches the SQL
// (nodes(ids:) of 500 ids: 52 ms of CPU per request); this reads them through the driver adapter,
// as the loaders of pages do.

export class NodeLoader<Row extends { id: number }> {
  private readonly loader = new DataLoader<number, Row | null>((ids) => this.read(ids), { maxBatchSize: 1000 });

  private readonly batches: { observe(keys: number): void };

  constructor(
    private readonly table: NodeTable<Row>,
    type: 'Hero' | 'Team',
    private readonly route: Readonly<ReadRoute>,
  ) {
    this.batches = batchSizeOf(type);
  }

  load(id: number): Promise<Row | null> {
    return this.loader.load(id);
  }

  private async read(ids: readonly number[]): Promise<(Row | null)[]> {
    this.batches.observe(ids.length);
    const { table } = this;
    const { rows } = await readValues(
      Prisma.sql`SELECT ${table.select} FROM ${table.from} WHERE n.id = ANY(${ids as number[]}::int[])`,
      { target: this.route.target },
    );
    const found = new Map<number, Row>();
    for (const values of rows) {
      const row = table.read(values);
      found.set(row.id, row);
    }
    return ids.map((id) => found.get(id) ?? null);
  }
}

/** Loaders whose reads go where `route` says when they run (a replica, or the primary). */
export function createNodeLoaders(route: Readonly<ReadRoute>) {
  return {
    Hero: new NodeLoader<Hero>(heroTable, 'Hero', route),
    Team: new NodeLoader<Team>(teamTable, 'Team', route),
  };
}
