import { readFileSync } from 'node:fs';
import path from 'node:path';
import { printSchema } from 'graphql';
import { schema } from '../src/schema';

it('matches the committed schema.graphql (run `npm run schema:print` after a deliberate change)', () => {
  const committed = readFileSync(path.resolve(__dirname, '../schema.graphql'), 'utf8');
  expect(`${printSchema(schema)}\n`).toBe(committed);
});
