import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import { config } from '../config';
import { ErrorCode, httpOf } from '../errors';

// Trusted documents (TRUSTED_DOCUMENTS): the server runs only the documents of a manifest written
// at build time by GraphQL Code Generator's client preset (`npm run codegen`), which clients send
// by hash, `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"<hex>"}}}`. Any other
// request is refused before it is parsed; admin callers may still send any document (GraphiQL).

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A hash as the manifest keys it (codegen writes `sha256:<hex>`) or as clients send it (`<hex>`). */
function hexOf(hash: string): string {
  return (hash.startsWith('sha256:') ? hash.slice('sha256:'.length) : hash).toLowerCase();
}

/**
 * Reads a manifest, `{ "<sha256>" | "sha256:<sha256>": "<document>" }`, and checks that every key
 * is the SHA-256 of its document: a key that is not would let a client run another document than
 * the one it names. Throws a message naming the file when it is not such a manifest.
 */
export function loadManifest(file: string): ReadonlyMap<string, string> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`TRUSTED_DOCUMENTS: cannot read a JSON manifest from ${file}: ${(error as Error).message}`);
  }
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new Error(`TRUSTED_DOCUMENTS: ${file} is not a manifest: expected { "<sha256>": "<document>" }`);
  }
  const documents = new Map<string, string>();
  for (const [key, document] of Object.entries(manifest)) {
    if (typeof document !== 'string' || hexOf(key) !== sha256(document)) {
      throw new Error(`TRUSTED_DOCUMENTS: in ${file}, the entry ${key} is not a document whose SHA-256 is its key`);
    }
    documents.set(hexOf(key), document);
  }
  return documents;
}

/**
 * TRUSTED_DOCUMENTS' manifest, read when the server starts (a manifest that cannot be read, or whose
 * keys are not its documents' hashes, stops it there); null when any document may run.
 */
export const trustedDocuments: { readonly path: string; readonly documents: ReadonlyMap<string, string> } | null =
  config.access.trustedDocumentsPath === null
    ? null
    : { path: config.access.trustedDocumentsPath, documents: loadManifest(config.access.trustedDocumentsPath) };

function refusal(code: ErrorCode, message: string) {
  return { message, extensions: { code, http: { status: httpOf(code).status } } };
}

/**
 * Runs only the manifest's documents, sent by hash; `mayRunAnyDocument(request)` (the caller is
 * admin) lets a request send its own document. Must come after authentication's onParams.
 */
export function useTrustedDocuments(
  documents: ReadonlyMap<string, string>,
  mayRunAnyDocument: (request: Request) => boolean,
): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (hash) => documents.get(hexOf(hash)) ?? null,
    allowArbitraryOperations: mayRunAnyDocument,
    customErrors: {
      notFound: refusal(
        ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
        'No trusted document has this hash: this server runs only the documents of its manifest',
      ),
      persistedQueryOnly: refusal(
        ErrorCode.PERSISTED_QUERY_ONLY,
        'This server runs only trusted documents: send the hash of one in extensions.persistedQuery.sha256Hash',
      ),
      keyNotFound: refusal(
        ErrorCode.PERSISTED_QUERY_ID_REQUIRED,
        'Send the hash of a trusted document in extensions.persistedQuery.sha256Hash',
      ),
    },
  }) as Plugin;
}
