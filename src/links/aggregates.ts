import { Prisma } from '../generated/prisma/client';
import type { Entity, Link } from './registry';

// Aggregates over a list (a parent's nodes through the link, or a root list): its count, the count
// of its flagged links, statistics of the nodes' int columns (EntitySpec.stats) and the range of
// when its links began. Counts alone come from the counters (src/links/loaders.ts, LinkLoader.count);
// statistics take one statement per level, grouped by parent over every parent of the level, in
// which the counts come along. Always over the whole list the connection's arguments choose (its
// filter and flag), never over its page.

/** Statistics of an int column over the list's non-null values; all but count null when there are none. */
export interface IntStats {
  count: number;
  min: number | null;
  max: number | null;
  sum: number | null;
  avg: number | null;
}

/** The earliest and latest of a timestamp over the list; null when it is empty. */
export interface TimeStats {
  min: Date | null;
  max: Date | null;
}

/** What one statement of statistics gives for one list. */
export interface ListStats {
  total: number;
  flagged: number;
  columns: Readonly<Record<string, IntStats>>;
  since: TimeStats;
}

const parts = ['count', 'min', 'max', 'sum', 'avg'] as const;

/**
 * The SELECT items of the statistics of `entity`'s columns on alias `n`, and of the link's `since`
 * on alias `l` (when `withSince`), each named `<field>.<part>`. Sums and averages as float8: a
 * number in JavaScript from either driver, where int8 and numeric come back as text.
 */
export function statsSelect(link: Link | null, entity: Entity, withSince: boolean): Prisma.Sql {
  const items: string[] = [];
  for (const column of entity.stats) {
    const c = `n.${column.sql}`;
    items.push(
      `count(${c})::int AS "${column.field}.count"`,
      `min(${c}) AS "${column.field}.min"`,
      `max(${c}) AS "${column.field}.max"`,
      `sum(${c})::float8 AS "${column.field}.sum"`,
      `avg(${c})::float8 AS "${column.field}.avg"`,
    );
  }
  if (withSince && link?.since) {
    const c = `l.${link.since.sql}`;
    items.push(
      `(extract(epoch FROM min(${c})) * 1000)::float8 AS "since.min"`,
      `(extract(epoch FROM max(${c})) * 1000)::float8 AS "since.max"`,
    );
  }
  return items.length ? Prisma.raw(`, ${items.join(', ')}`) : Prisma.empty;
}

/** The statistics of a row of statsSelect (undefined: the list is empty). */
export function readStats(entity: Entity, row: Record<string, unknown> | undefined): ListStats {
  const columns: Record<string, IntStats> = {};
  for (const column of entity.stats) {
    const stats = Object.fromEntries(
      parts.map((part) => [part, (row?.[`${column.field}.${part}`] as number | null | undefined) ?? null]),
    ) as unknown as IntStats;
    stats.count ??= 0;
    columns[column.field] = stats;
  }
  const time = (value: unknown) => (value == null ? null : new Date(value as number));
  return {
    total: (row?.total as number | undefined) ?? 0,
    flagged: (row?.flagged as number | undefined) ?? 0,
    columns,
    since: { min: time(row?.['since.min']), max: time(row?.['since.max']) },
  };
}

/**
 * A list's aggregate, as its field resolves to: counts and statistics on demand. With `stats`
 * (some statistic is asked for), the counts come from the one statement of statistics; without,
 * from `counts`, which reads the counters where there are some.
 */
export class ListAggregate {
  constructor(
    private readonly source: {
      counts(): Promise<{ total: number; flagged: number }>;
      stats(): Promise<ListStats>;
    },
    private readonly viaStats: boolean,
  ) {}

  async count(): Promise<number> {
    return (this.viaStats ? await this.source.stats() : await this.source.counts()).total;
  }

  async flaggedCount(): Promise<number> {
    return (this.viaStats ? await this.source.stats() : await this.source.counts()).flagged;
  }

  async column(field: string): Promise<IntStats> {
    return (await this.source.stats()).columns[field]!;
  }

  async since(): Promise<TimeStats> {
    return (await this.source.stats()).since;
  }
}
