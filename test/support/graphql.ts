import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { onQuery } from '../../src/db';
import { yoga } from '../../src/graphql/yoga';

export interface Response<TResult> {
  status: number;
  body: Omit<ExecutionResult<TResult>, 'errors'> & {
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  };
}

/** Sends a typed operation through the real server object, as a client would, without a port. */
export async function executeOperation<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
): Promise<Response<TResult>> {
  const response = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return { status: response.status, body: await response.json() };
}

/** The data of a response that must have succeeded. */
export async function ok<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
): Promise<TResult> {
  const { body } = await executeOperation(document, variables);
  if (body.errors?.length || !body.data) throw new Error(`Expected data, got ${JSON.stringify(body)}`);
  return body.data;
}

/** The codes of a response's errors, in order. */
export function codes(response: Response<unknown>): (string | undefined)[] {
  return (response.body.errors ?? []).map((error) => error.extensions?.code);
}

/**
 * Runs `action` and returns it together with the SQL statements it sent, their parameters (JSON),
 * and whether each was a read sent as a named prepared statement (see QueryEvent in src/db/query-events.ts).
 */
export async function recordSql<T>(
  action: () => Promise<T>,
): Promise<{ result: T; statements: string[]; params: string[]; named: boolean[] }> {
  const statements: string[] = [];
  const params: string[] = [];
  const named: boolean[] = [];
  const stop = onQuery((event) => {
    statements.push(event.query);
    params.push(event.params);
    named.push(event.named);
  });
  try {
    const result = await action();
    return { result, statements, params, named };
  } finally {
    stop();
  }
}
