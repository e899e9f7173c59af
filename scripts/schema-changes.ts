// What a schema change does to clients, by @graphql-inspector/core's rules: breaking (a removed
// field, a changed argument type: a client's operation may stop working), dangerous (an added enum
// value, a changed default: it still runs, but may behave differently) or safe. A breaking change
// must be acknowledged, with its reason, in schema-breaking-changes.json, which reviewers read
// with the schema.graphql diff. Used by `npm run schema:print` and test/schema.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import type { GraphQLSchema } from 'graphql';

export const acknowledgementsFile = path.resolve(__dirname, '../schema-breaking-changes.json');

/** A breaking change let through on purpose: its type and path as the classifier names them. */
export interface Acknowledgement {
  /** The change's type, e.g. FIELD_REMOVED, FIELD_ARGUMENT_TYPE_CHANGED. */
  type: string;
  /** The schema coordinate, e.g. Hero.secretName, Query.heroes.first. */
  path: string;
  /** Why clients may lose it: who was told, what replaces it. */
  reason: string;
}

export interface SchemaChanges {
  breaking: Change[];
  /** Breaking changes no acknowledgement covers: these fail the check. */
  unacknowledged: Change[];
  dangerous: Change[];
  safe: Change[];
}

/** The acknowledgements of a file's text; throws when one lacks its type, path or reason. */
export function parseAcknowledgements(text: string, source = acknowledgementsFile): Acknowledgement[] {
  const parsed = JSON.parse(text) as { acknowledged?: unknown };
  if (!Array.isArray(parsed.acknowledged)) throw new Error(`${source}: expected { "acknowledged": [ … ] }`);
  return parsed.acknowledged.map((entry: Partial<Acknowledgement> | null, index) => {
    for (const key of ['type', 'path', 'reason'] as const) {
      if (typeof entry?.[key] !== 'string' || !entry[key].trim()) {
        throw new Error(`${source}: acknowledged[${index}] needs a non-empty "${key}"`);
      }
    }
    return entry as Acknowledgement;
  });
}

export function readAcknowledgements(file = acknowledgementsFile): Acknowledgement[] {
  return parseAcknowledgements(readFileSync(file, 'utf8'), file);
}

export async function classifySchemaChanges(
  before: GraphQLSchema,
  after: GraphQLSchema,
  acknowledged: readonly Acknowledgement[],
): Promise<SchemaChanges> {
  const changes = await diff(before, after);
  const of = (level: CriticalityLevel) => changes.filter((change) => change.criticality.level === level);
  const breaking = of(CriticalityLevel.Breaking);
  return {
    breaking,
    unacknowledged: breaking.filter(
      (change) => !acknowledged.some((entry) => entry.type === change.type && entry.path === change.path),
    ),
    dangerous: of(CriticalityLevel.Dangerous),
    safe: of(CriticalityLevel.NonBreaking),
  };
}

/** The changes as lines for people, breaking first; empty when there are none. */
export function describeSchemaChanges(changes: SchemaChanges): string[] {
  const line = (change: Change) => `  ${change.type} ${change.path ?? ''}: ${change.message}`;
  const lines: string[] = [];
  if (changes.unacknowledged.length > 0) {
    lines.push(
      `Breaking, not acknowledged (add { "type", "path", "reason" } to ${path.basename(acknowledgementsFile)}):`,
      ...changes.unacknowledged.map(line),
    );
  }
  const acknowledged = changes.breaking.filter((change) => !changes.unacknowledged.includes(change));
  if (acknowledged.length > 0) lines.push('Breaking, acknowledged:', ...acknowledged.map(line));
  if (changes.dangerous.length > 0) lines.push('Dangerous:', ...changes.dangerous.map(line));
  if (changes.safe.length > 0) lines.push('Safe:', ...changes.safe.map(line));
  return lines;
}
