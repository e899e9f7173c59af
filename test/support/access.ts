import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { SignJWT } from 'jose';
import { type ServerProcess, startServer } from './server-process';

// Servers started for the access tests, each with its own configuration: PGlite in memory, or this
// test file's PostgreSQL database. Requests go over HTTP, as a client sends them.

export async function startAccessServer(env: Record<string, string>): Promise<ServerProcess> {
  const database: Record<string, string> = process.env.DATABASE_URL
    ? { DATABASE_URL: process.env.DATABASE_URL }
    : { DATA_DIR: 'memory://' };
  return startServer({ ...database, ...env });
}

export async function stopServer(server: ServerProcess | undefined): Promise<void> {
  if (!server) return;
  server.child.kill('SIGTERM');
  await server.exited;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

/** POSTs a GraphQL request body; `authorization` is the header's whole value (a token: `Bearer …`). */
export async function post(server: ServerProcess, body: object, authorization?: string): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

/** Sends a typed document as text, with a bearer token when given. */
export function send<TResult, TVariables>(
  server: ServerProcess,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables | Record<string, unknown>,
  token?: string,
): Promise<Answer> {
  return post(server, { query: print(document), variables }, token === undefined ? undefined : `Bearer ${token}`);
}

/** The data of an answer that must have succeeded. */
export function data<T = Record<string, unknown>>(answer: Answer): T {
  if (answer.status !== 200 || answer.body.errors || !answer.body.data) {
    throw new Error(`Expected data, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body.data as T;
}

export const codesOf = (answer: Answer) => (answer.body.errors ?? []).map((error) => error.extensions?.code);

export const secret = 'access-test-secret-of-at-least-32-characters';

/** Claims of a token for `roles`, valid for an hour; `claims` add or override (undefined removes). */
export function claimsFor(roles: unknown, claims: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const all: Record<string, unknown> = { roles, sub: 'tester', iat: now, exp: now + 3600, ...claims };
  for (const key of Object.keys(all)) if (all[key] === undefined) delete all[key];
  return all;
}

/** An HS256 token (another algorithm with `alg`) signed with `key`. */
export function hsToken(
  roles: unknown,
  claims: Record<string, unknown> = {},
  options: { key?: string; alg?: string } = {},
): Promise<string> {
  return new SignJWT(claimsFor(roles, claims))
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .sign(new TextEncoder().encode(options.key ?? secret));
}
