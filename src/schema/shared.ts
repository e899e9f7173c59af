import { z } from 'zod';
import { builder } from '../graphql/builder';
import type { IntStats as StatsOfInt, TimeStats } from '../links/aggregates';

export const OrderDirection = builder.enumType('OrderDirection', {
  values: { ASC: { description: 'Smallest first.' }, DESC: { description: 'Largest first.' } } as const,
});

/** Comparisons of an integer, all of which must hold: a count's filter (`heroCount: { gt: 3 }`). */
export const IntComparison = builder.inputType('IntComparison', {
  description: 'Comparisons of an integer; all of those given must hold.',
  fields: (t) => ({
    eq: t.int({ description: 'Equal to.' }),
    gt: t.int({ description: 'Greater than.' }),
    gte: t.int({ description: 'Greater than or equal to.' }),
    lt: t.int({ description: 'Less than.' }),
    lte: t.int({ description: 'Less than or equal to.' }),
  }),
});

export const IntStats = builder.objectRef<StatsOfInt>('IntStats').implement({
  description:
    "Statistics of an integer over a list's non-null values; min, max, sum and avg are null when there are none.",
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'How many values there are (nulls left out).' }),
    min: t.exposeInt('min', { nullable: true }),
    max: t.exposeInt('max', { nullable: true }),
    sum: t.exposeInt('sum', { nullable: true }),
    avg: t.exposeFloat('avg', { nullable: true }),
  }),
});

export const DateTimeStats = builder.objectRef<TimeStats>('DateTimeStats').implement({
  description: 'The earliest and latest instant over a list; null when it is empty.',
  fields: (t) => ({
    min: t.expose('min', { type: 'DateTime', nullable: true }),
    max: t.expose('max', { type: 'DateTime', nullable: true }),
  }),
});

builder.globalConnectionField('totalCount', (t) =>
  t.int({
    description: 'How many items the whole list holds, over all pages.',
    resolve: (connection) => connection.totalCount(),
  }),
);

/** A display name: not blank, bounded, and free of NUL bytes, which PostgreSQL text cannot hold. */
export function textInput(label: string) {
  return (
    z
      .string()
      .max(200, `${label} must be at most 200 characters`)
      .refine((value) => value.trim().length > 0, `${label} must not be empty`)
      .refine((value) => !value.includes('\u0000'), `${label} must not contain NUL characters`)
      // A lone UTF-16 surrogate (valid in JSON's \uD800, not in UTF-8) would be stored as U+FFFD.
      .refine((value) => value.isWellFormed(), `${label} must be well-formed Unicode (no lone surrogates)`)
  );
}

export const ageInput = z.number().int().min(0, 'age must not be negative').max(10_000, 'age must be at most 10000');
