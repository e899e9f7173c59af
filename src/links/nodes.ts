import DataLoader from 'dataloader';
import { readValues } from '../db';
import type { ReadRoute } from '../db/replica-routing';
import { batchSizeOf } from '../ops/metrics';
import { Prisma } from '../generated/prisma/client';
import type { Entity } from './registry';

// Nodes of each entity by id, for the root fields that find one by id, `node(id:)` and
// `nodes(ids:)`: one statement per type for all the ids a request asks for. Read through the
// driver adapter, as the loaders of pages do: Prisma Client's findUnique costs CPU per id in its
// query compiler even when it batches the SQL.

export class NodeLoader<Row extends { id: number }> {
  private readonly loader = new DataLoader<number, Row | null>((ids) => this.read(ids), { maxBatchSize: 1000 });

  private readonly batches: { observe(keys: number): void };

  constructor(
    private readonly table: Entity<Row>,
    private readonly route: Readonly<ReadRoute>,
  ) {
    this.batches = batchSizeOf(table.name);
  }

  /** Ids a caller said it will ask for one at a time, not yet asked for (see `expect`). */
  private expected: number[] = [];

  /**
   * Ids the caller will ask for one at a time, each after the last is answered (the events of a
   * replayed page, executed as the client reads them): the next `load` reads them all in its
   * batch, so that the page costs one statement, not one per event.
   */
  expect(ids: Iterable<number>): void {
    for (const id of ids) this.expected.push(id);
  }

  load(id: number): Promise<Row | null> {
    if (this.expected.length > 0) {
      const expected = this.expected;
      this.expected = [];
      // In this tick, so that DataLoader reads them with `id`; their errors are `load`'s to report.
      for (const other of expected) if (other !== id) this.loader.load(other).catch(() => {});
    }
    return this.loader.load(id);
  }

  /** Forgets the rows of these ids, or all when none are given. */
  clear(...ids: number[]): void {
    if (ids.length === 0) this.loader.clearAll();
    else for (const id of ids) this.loader.clear(id);
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

export type NodeLoaders<Rows extends Record<string, { id: number }>> = {
  readonly [K in keyof Rows]: NodeLoader<Rows[K]>;
};

/** A loader per entity, whose reads go where `route` says when they run (a replica, or the primary). */
export function createNodeLoaders<Rows extends Record<string, { id: number }>>(
  entities: { readonly [K in keyof Rows]: Entity<Rows[K]> },
  route: Readonly<ReadRoute>,
): NodeLoaders<Rows> {
  const loaders: Record<string, NodeLoader<{ id: number }>> = {};
  for (const [name, entity] of Object.entries(entities) as [string, Entity][]) {
    loaders[name] = new NodeLoader(entity, route);
  }
  return loaders as NodeLoaders<Rows>;
}
