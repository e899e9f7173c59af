import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

// A GraphQL-over-SSE client (distinct connections mode), as graphql-sse's or a fetch-based client
// sends it: POST with `Accept: text/event-stream`, then `event: next` messages until `complete`.

export interface StreamMessage<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface Subscription<T> {
  status: number;
  headers: Headers;
  /** The next message, or a rejection after `timeoutMs` (default 10 s). Null once complete. */
  next(timeoutMs?: number): Promise<StreamMessage<T> | null>;
  /** `count` messages in order. */
  take(count: number, timeoutMs?: number): Promise<StreamMessage<T>[]>;
  /** Messages received and not yet taken. */
  readonly pending: number;
  /** Whether the server ended the stream (`event: complete`, or the body ended). */
  readonly completed: boolean;
  close(): Promise<void>;
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export async function subscribeSse<TResult, TVariables>(
  fetchFn: Fetch,
  url: string,
  document: TypedDocumentNode<TResult, TVariables> | string,
  variables?: TVariables,
  headers: Record<string, string> = {},
): Promise<Subscription<TResult>> {
  const query = typeof document === 'string' ? document : print(document);
  const response = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const messages: (StreamMessage<TResult> | null)[] = [];
  let wake: (() => void) | null = null;
  let completed = false;
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const push = (message: StreamMessage<TResult> | null) => {
    messages.push(message);
    wake?.();
  };
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (event === 'next' && data.length > 0) push(JSON.parse(data.join('\n')) as StreamMessage<TResult>);
          else if (event === 'complete') {
            completed = true;
            push(null);
          }
        }
      }
    } catch {
      // Cancelled by close().
    }
    if (!completed) {
      completed = true;
      push(null);
    }
  })();
  const next = async (timeoutMs = 10_000): Promise<StreamMessage<TResult> | null> => {
    const deadline = Date.now() + timeoutMs;
    while (messages.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      });
    }
    const message = messages[0]!;
    // The end stays for later calls.
    if (message !== null) messages.shift();
    return message;
  };
  return {
    status: response.status,
    headers: response.headers,
    next,
    async take(count, timeoutMs = 20_000) {
      const taken: StreamMessage<TResult>[] = [];
      const deadline = Date.now() + timeoutMs;
      while (taken.length < count) {
        const message = await next(Math.max(1, deadline - Date.now()));
        if (message === null) throw new Error(`The stream ended after ${taken.length} of ${count} messages`);
        taken.push(message);
      }
      return taken;
    },
    get pending() {
      return messages.filter((message) => message !== null).length;
    },
    get completed() {
      return completed;
    },
    async close() {
      await reader.cancel().catch(() => undefined);
      await pump;
    },
  };
}
