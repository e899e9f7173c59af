import type { GraphQLResolveInfo } from 'graphql';
import { builder } from '../graphql/builder';
import type { ListAggregate } from '../links/aggregates';
import type { TableColumn } from '../links/registry';
import { statisticCost } from '../links/sizes';
import { selects } from '../links/selection';
import { heroesTeams } from './registry';
import { DateTimeStats, IntStats } from './shared';

// The aggregate of a list (API.md, "Aggregates over the link"): its count, on a link connection the
// count in training, statistics of the nodes' declared columns (the registry's `stats`) and, on a
// link connection, when its memberships began. Over the whole list the connection's `where` and
// `isTraining` choose, never its page. Resolved by src/links/aggregates.ts: counts from the
// counters, statistics in one statement per level.

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type ObjectFields = PothosSchemaTypes.ObjectFieldBuilder<Types, { aggregate(stats: boolean): ListAggregate }>;

interface AggregateOptions {
  /** The count of flagged links (a link connection's trainingCount). */
  flagged?: boolean;
  /** Node columns whose statistics it gives. */
  columns: readonly TableColumn[];
  /** When the list's links began (a link connection's joinedAt). */
  since?: boolean;
  /** A bound on the size of the lists (src/links/sizes.ts): what one statistic reads. */
  rows: () => number;
}

/**
 * The aggregate type `name`, and the `aggregate` field of a connection whose object has
 * `aggregate(stats)` (MemberPage, a root list's page).
 */
export function aggregateField(name: string, of: string, options: AggregateOptions) {
  const since = options.since ? heroesTeams.since : null;
  const ref = builder.objectRef<ListAggregate>(name).implement({
    description: `Aggregates over ${of}: the whole list its arguments choose (where${options.flagged ? ', isTraining' : ''}), never only the page.`,
    fields: (t) => ({
      count: t.int({
        description: 'How many items the list holds.',
        resolve: (aggregate) => aggregate.count(),
      }),
      ...(options.flagged && {
        trainingCount: t.int({
          description: 'How many of its memberships are in training (isTraining).',
          resolve: (aggregate) => aggregate.flaggedCount(),
        }),
      }),
      ...Object.fromEntries(
        options.columns.map((column) => [
          column.field,
          t.field({
            type: IntStats,
            description: `Statistics of ${column.field} over the list.`,
            // Reads every row of the list: priced by the largest list's size.
            complexity: () => statisticCost(options.rows()),
            resolve: (aggregate) => aggregate.column(column.field),
          }),
        ]),
      ),
      ...(since && {
        [since.field]: t.field({
          type: DateTimeStats,
          description: 'When its memberships began: the first and the newest.',
          complexity: () => statisticCost(options.rows()),
          resolve: (aggregate) => aggregate.since(),
        }),
      }),
    }),
  });
  const statistics = [...options.columns.map((column) => column.field), ...(since ? [since.field] : [])];
  return (t: ObjectFields) =>
    t.field({
      type: ref,
      description: 'Aggregates over the whole list (its filter, not its page).',
      // A statistic asked for brings the counts along in its one statement; counts alone read the counters.
      resolve: (connection, _args, _context, info: GraphQLResolveInfo) =>
        connection.aggregate(statistics.some((field) => selects(info, [field]))),
    });
}
