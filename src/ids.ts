import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { limits } from './config';
import { badInput } from './errors';
import { LimitCode } from './errors';

/** The largest value of PostgreSQL's int4, the type of every id and of a hero's age. */
export const INT4_MAX = 2_147_483_647;
const nodeTypes = new Set(['Hero', 'Team']);

/** The database id inside a global id: a positive int4, written without sign, zeros or exponent. */
export function parseDbId(raw: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(raw) || Number(raw) > INT4_MAX) {
    throw badInput(`Invalid id: "${raw.slice(0, 40)}" is not a valid object id`);
  }
  return Number(raw);
}

/**
 * Decodes every global id the API receives; anything but the id of a Hero or a Team, as the API
 * hands them out, is bad input (and never reaches the database).
 */
export function decodeNodeId(globalID: string): { typename: string; id: string } {
  return decodeIdOf(globalID, nodeTypes);
}

/** decodeNodeId for an API whose ids are of `types`. */
export function decodeIdOf(globalID: string, types: ReadonlySet<string>): { typename: string; id: string } {
  let decoded: { typename: string; id: string } | undefined;
  try {
    decoded = decodeGlobalID(globalID);
  } catch {
    decoded = undefined;
  }
  if (!decoded || !types.has(decoded.typename)) {
    throw badInput(`Invalid id: "${globalID.slice(0, 40)}" is not an id this API hands out`);
  }
  parseDbId(decoded.id);
  return decoded;
}

/**
 * Refuses a list of ids longer than MAX_IDS, from the cost calculation, before anything runs: each
 * id is a lookup, and an unbounded list is unbounded work that the page sizes do not bound.
 */
export function checkIdCount(count: number, where: string): void {
  if (count > limits.ids) {
    throw new GraphQLError(`${where} lists ${count} ids; at most ${limits.ids} are accepted (MAX_IDS)`, {
      extensions: { code: LimitCode.MAX_IDS },
    });
  }
}

/** The global id clients know an object by, for messages that name it. */
export function globalId(type: string, id: number): string {
  return encodeGlobalID(type, id);
}

/** The database id of a decoded global id argument (its type was checked by `for:`). */
export function dbId(decoded: { id: string | number }): number {
  return parseDbId(String(decoded.id));
}
