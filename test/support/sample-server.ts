import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kind, type OperationDefinitionNode, parse, print } from 'graphql';
import { type ServerProcess, startServer } from './server-process';

// For the tests that run the docs' examples as a client would: a freshly started server holding
// the sample data, and the operations as docs/api.md writes them.

/** An answer's data, as loosely typed as a client's JSON. */
export type Data = any;

/**
 * A server for the calling test file, started before its tests and stopped after them, on its
 * sample data: PGlite in a new folder (named after `name`), or the file's own PostgreSQL database
 * (DATABASE_URL). Returns how to send it an operation: over HTTP, its data, or a thrown error
 * when the answer is not a 200 without errors.
 */
export function sampleServer(name: string): (query: string, variables?: Record<string, unknown>) => Promise<Data> {
  let server: ServerProcess;
  let dataDir: string | undefined;

  beforeAll(async () => {
    if (process.env.DATABASE_URL) {
      server = await startServer({ DATABASE_URL: process.env.DATABASE_URL });
    } else {
      dataDir = mkdtempSync(path.join(tmpdir(), `heroes-${name}-`));
      server = await startServer({ DATA_DIR: dataDir });
    }
  }, 60_000);

  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  return async (query, variables = {}) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Data; errors?: unknown[] };
    if (response.status !== 200 || body.errors) throw new Error(`${response.status}: ${JSON.stringify(body)}`);
    return body.data;
  };
}

/** The operation `name` of docs/api.md's GraphQL blocks, as written there. */
export function documented(name: string): string {
  const api = readFileSync(path.resolve(__dirname, '../../docs/api.md'), 'utf8');
  const operation = [...api.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)]
    .flatMap((match) => parse(match[1]!).definitions)
    .find(
      (definition): definition is OperationDefinitionNode =>
        definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === name,
    );
  if (!operation) throw new Error(`docs/api.md has no operation ${name}`);
  return print(operation);
}
