// Writes the sorted, printed schema to schema.graphql; with --check, fails when the file is stale.
// Either way it first prints how the schema differs from the committed file (breaking, dangerous,
// safe: scripts/schema-changes.ts), and writes nothing while a breaking change is not acknowledged.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import { schema } from '../src/schema';
import { classifySchemaChanges, describeSchemaChanges, readAcknowledgements } from './schema-changes';

async function main(): Promise<void> {
  const file = path.resolve(__dirname, '../schema.graphql');
  const printed = `${printSchema(schema)}\n`;
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // a missing file is stale too, and has nothing to compare with
  }

  if (committed && committed !== printed) {
    const changes = await classifySchemaChanges(buildSchema(committed), schema, readAcknowledgements());
    const lines = describeSchemaChanges(changes);
    console.log(lines.length > 0 ? lines.join('\n') : 'No change to the API: the printed text differs in form only.');
    if (changes.unacknowledged.length > 0) {
      console.error('schema.graphql not written: a breaking change is not acknowledged.');
      process.exit(1);
    }
  }

  if (process.argv.includes('--check')) {
    if (committed !== printed) {
      console.error('schema.graphql is stale: run `npm run schema:print` and commit the result.');
      process.exit(1);
    }
  } else if (committed === printed) {
    console.log(`${path.relative(process.cwd(), file)} is current: no change.`);
  } else {
    writeFileSync(file, printed);
    console.log(`Wrote ${path.relative(process.cwd(), file)}`);
  }
}

void main();
