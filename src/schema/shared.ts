import { z } from 'zod';
import { builder } from '../graphql/builder';

export const OrderDirection = builder.enumType('OrderDirection', {
  values: { ASC: { description: 'Smallest first.' }, DESC: { description: 'Largest first.' } } as const,
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
