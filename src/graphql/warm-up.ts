import { randomBytes } from 'node:crypto';
import type { YogaServerInstance } from 'graphql-yoga';
import { globalId } from '../ids';

// Warming up before the port opens. A fresh process runs its first requests slowly: V8 has yet to
// compile the hot paths (Yoga, the resolvers, pg's protocol) past its interpreter, graphql-jit
// compiles each document on first sight, and the pool opens its connections on demand. Measured
// on PostgreSQL at S = 1,000, the first of three bursts of 1,000 concurrent small reads took
// 2.2 s against 1.8 s and 1.6 s for the next two: on a fresh server, the tail of a first burst
// waited past MAX_QUEUE_WAIT_MS and was refused. So the server sends itself WARM_UP_REQUESTS small
// reads, through Yoga in process (every plugin, the loaders, the database), as many at once as
// the pool has connections, before it listens. They are an anonymous caller's: where anonymous
// callers may not read (ANONYMOUS_ROLE=none, trusted documents only), the first refusal ends the
// warm-up, which then only opened the pool. They leave no log line and no metric: they carry a
// header whose value only this process knows (warmUpHeader).

/** The header, and this process's value of it, that marks the warm-up's own requests. */
export const warmUpHeader = { name: 'x-warm-up', value: randomBytes(16).toString('hex') } as const;

/** Whether `request` is one of the warm-up's own (not to be logged or counted). */
export function isWarmUp(request: Request): boolean {
  return request.headers.get(warmUpHeader.name) === warmUpHeader.value;
}

/** What a frontend asks all day: lists through the link both ways, a node, a filter, an order. */
const documents = [
  '{ teams(first: 5) { edges { node { name heroes(first: 5) { edges { node { name } } } } } } }',
  '{ heroes(first: 10) { totalCount edges { node { id name age teams(first: 3) { edges { isTraining node { name } } } } } } }',
  `{ node(id: "${globalId('Team', 1)}") { id ... on Team { name heroes(first: 10) { edges { joinedAt node { name } } } } } }`,
  '{ heroes(first: 10, orderBy: { field: NAME, direction: DESC }, where: { teams: { some: {} } }) { edges { node { name } } pageInfo { hasNextPage endCursor } } }',
];

export interface WarmUpOutcome {
  /** Requests answered with data. */
  answered: number;
  /** Why the warm-up ended early (the first request not answered with data), if it did. */
  stoppedBy?: string;
  ms: number;
}

/**
 * Sends `requests` small reads to `yoga` in process, `concurrency` at once, before the server
 * listens. Never throws: a warm-up that fails leaves a server as cold as it was.
 */
export async function warmUp(
  yoga: Pick<YogaServerInstance<object, object>, 'fetch' | 'graphqlEndpoint'>,
  requests: number,
  concurrency: number,
): Promise<WarmUpOutcome> {
  const started = performance.now();
  let sent = 0;
  let answered = 0;
  let stoppedBy: string | undefined;
  const one = async (query: string): Promise<void> => {
    const response = await yoga.fetch(`http://localhost${yoga.graphqlEndpoint}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        [warmUpHeader.name]: warmUpHeader.value,
      },
      body: JSON.stringify({ query }),
    });
    const result = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    if (response.status === 200 && result.data && !result.errors) answered++;
    else stoppedBy ??= `HTTP ${response.status} ${result.errors?.[0]?.extensions?.code ?? ''}`.trim();
  };
  const worker = async () => {
    while (sent < requests && stoppedBy === undefined) {
      const query = documents[sent++ % documents.length]!;
      try {
        await one(query);
      } catch (error) {
        stoppedBy ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, requests)) }, worker));
  return { answered, stoppedBy, ms: Math.round(performance.now() - started) };
}
