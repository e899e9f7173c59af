import type { Plugin } from 'graphql-yoga';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLArmorCallbackConfiguration } from '@escape.tech/graphql-armor-types';
import { GraphQLError, type ValidationContext } from 'graphql';
import { limits } from '../config';
import { ErrorCode, httpOf, LimitCode } from '../errors';

// GraphQL Armor reports its rejections as "Syntax Error: …" without a code; each becomes a
// validation error of its own code, with the message that names the limit.
function rejectWith(code: string): GraphQLArmorCallbackConfiguration {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const coded = new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code } });
        if (context) context.reportError(coded);
        else throw coded;
      },
    ],
  };
}

function bodyTooLarge(): GraphQLError {
  return new GraphQLError('Request body too large', {
    extensions: { http: httpOf(ErrorCode.REQUEST_ENTITY_TOO_LARGE), code: ErrorCode.REQUEST_ENTITY_TOO_LARGE },
  });
}

/**
 * Yoga's maxRequestBodySize, answering the same, without its cost on requests that state their
 * length. Yoga pipes every body through a counting TransformStream (a stream pipeline, an
 * AbortController and the DOMException its end creates: a visible part of a small query's CPU). A body
 * with a Content-Length is checked by that header alone: Node's HTTP parser reads exactly that
 * many bytes as the body, never more. Only a body without one (chunked) is counted as it streams.
 */
export function useBodySizeLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength != null) {
        // One non-negative integer, nothing else (several joined by commas: request smuggling).
        if (!/^\d+$/.test(contentLength)) {
          throw new GraphQLError('Content-Length header is invalid.', {
            extensions: { http: httpOf(ErrorCode.BAD_REQUEST), code: ErrorCode.BAD_REQUEST },
          });
        }
        if (Number(contentLength) > limit) throw bodyTooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((unlimited) => {
        const body = unlimited.body;
        if (!body) return parse(unlimited);
        // A native ReadableStream pipes only through a native TransformStream (graphql-yoga#4583).
        const Transform = body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
        let bytesRead = 0;
        const counted = body.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytesRead += chunk.byteLength;
              if (bytesRead > limit) controller.error(bodyTooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        const init = { method: unlimited.method, headers: unlimited.headers, signal: unlimited.signal, body: counted };
        return parse(new fetchAPI.Request(unlimited.url, { ...init, duplex: 'half' } as RequestInit));
      });
    },
  };
}

/** The checks every request goes through before execution, in the order they apply. */
export function limitPlugins(): Plugin[] {
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: limits.tokens, ...rejectWith(LimitCode.MAX_TOKENS) }),
    maxDepthPlugin({ n: limits.depth, flattenFragments: true, ...rejectWith(LimitCode.MAX_DEPTH) }),
    maxAliasesPlugin({ n: limits.aliases, ...rejectWith(LimitCode.MAX_ALIASES) }),
    maxDirectivesPlugin({ n: limits.directives, ...rejectWith(LimitCode.MAX_DIRECTIVES) }),
  ];
  if (!limits.fieldSuggestions) plugins.push(blockFieldSuggestionsPlugin());
  return plugins;
}

/** What replaces an answer of `length` bytes past MAX_RESPONSE_BYTES (`limit`). */
export function answerTooLarge(length: number, limit: number) {
  return {
    data: null,
    errors: [
      {
        message: `The answer is ${length} bytes, more than the ${limit} allowed (MAX_RESPONSE_BYTES): ask for fewer or smaller pages`,
        extensions: { code: LimitCode.MAX_RESPONSE_BYTES },
      },
    ],
  };
}

/**
 * Bounds the bytes of a GraphQL answer (a subscription's events: src/realtime/subscribe.ts). The cost limit counts objects, not their size: 200-character
 * names of control characters, 6 bytes each in JSON, make an answer within MAX_COMPLEXITY 24 MB,
 * which a client that does not read it leaves in the process's memory. Past the bound the answer,
 * already built, is dropped for an error (data null, HTTP 200 as for any execution error), before
 * it reaches the connection. Read from Content-Length, which every answer of ours has.
 */
export function useResponseSizeLimit(endpoint: string, limit: number): Plugin {
  return {
    onResponse({ request, response, setResponse, fetchAPI }) {
      const length = Number(response.headers.get('content-length'));
      if (!(length > limit) || new URL(request.url).pathname !== endpoint) return;
      const body = JSON.stringify(answerTooLarge(length, limit));
      setResponse(
        new fetchAPI.Response(body, {
          status: 200,
          headers: { 'content-type': response.headers.get('content-type') ?? 'application/json; charset=utf-8' },
        }),
      );
    },
  };
}
