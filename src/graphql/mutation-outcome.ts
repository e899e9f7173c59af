import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import { type GraphQLError, type GraphQLFieldResolver, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { databaseFailure } from '../db/failures';
import { trackWrites, type WriteAttempt } from '../db/write-outcome';
import { ErrorCode, isOverload } from '../errors';
import { databaseUnavailable, mutationOutcomeUnknown } from './errors';

// What a client is told when a mutation meets the database's absence, which only the mutation
// knows: whether its change was made. Each Mutation field's resolver runs with its statements
// watched (src/db/write-outcome.ts), and an outage is answered
// - DATABASE_UNAVAILABLE, `safeToRetry: true`, when nothing was committed: it failed to connect,
//   or lost its connection before COMMIT was sent (PostgreSQL rolls such a transaction back);
// - MUTATION_OUTCOME_UNKNOWN when the connection was lost with a COMMIT (or a write outside a
//   transaction) on its way, or after one was answered; also for an error in its payload's fields,
//   which are read after the change was made. `safeToRetry` is then the field's own
//   `extensions: { idempotent: true }`: sending an idempotent mutation again changes nothing more.
// A pool with no free connection (OVERLOADED) is treated the same way: refused before any change,
// it stays OVERLOADED, which never changed anything.
//
// Hand-written: neither Yoga nor Pothos knows of a transaction's COMMIT, and Envelop's error hooks
// see an error without the statements behind it.

export const mutationOutcomePluginName = 'mutationOutcome';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      mutationOutcome: MutationOutcomePlugin<Types>;
    }
  }
}

/** The root fields of a mutation request whose resolver returned (their change made), and whether each is idempotent. */
const madeChanges = new WeakMap<object, Map<string, boolean>>();

/** What a mutation field's resolver threw, as the client should see it. */
function outcomeError(
  error: unknown,
  attempt: WriteAttempt,
  idempotent: boolean,
  path: readonly (string | number)[],
): unknown {
  const failure = databaseFailure(error);
  const overload = failure === null && isOverload(error);
  if (failure === null && !overload) return error;
  if (attempt.inDoubt || attempt.committed) {
    return mutationOutcomeUnknown(failure, error, { path, made: !attempt.inDoubt, safeToRetry: idempotent });
  }
  // Nothing committed: an overload is answered as ever (src/graphql/errors.ts), an outage says nothing changed.
  return failure === null ? error : databaseUnavailable(failure, error, { path, mutation: true });
}

export class MutationOutcomePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (this.buildCache.getTypeConfig(fieldConfig.parentType).kind !== 'Mutation') return resolver;
    const idempotent = fieldConfig.extensions?.idempotent === true;
    return async (parent, args, context, info) => {
      const attempt: WriteAttempt = { inDoubt: false, committed: false };
      const path = [info.path.key];
      try {
        const result: unknown = await trackWrites(attempt, () => resolver(parent, args, context, info));
        let made = madeChanges.get(context as object);
        if (!made) madeChanges.set(context as object, (made = new Map()));
        made.set(String(info.path.key), idempotent);
        return result;
      } catch (error) {
        throw outcomeError(error, attempt, idempotent, path);
      }
    };
  }
}

SchemaBuilder.registerPlugin(mutationOutcomePluginName, MutationOutcomePlugin);

/** Whether an error of a result (as execution left it, or as our masking coded it) is the database's absence. */
function outage(error: GraphQLError): ReturnType<typeof databaseFailure> | 'overload' | null {
  const code = error.extensions?.code;
  if (code === ErrorCode.MUTATION_OUTCOME_UNKNOWN) return null;
  const failure = databaseFailure(error.originalError ?? error);
  if (failure) return failure;
  if (code === ErrorCode.DATABASE_UNAVAILABLE) return 'lost';
  if (code === ErrorCode.OVERLOADED || isOverload(error.originalError)) return 'overload';
  return null;
}

/**
 * The other half of the plugin above: in a mutation's answer, an outage met by a field of a
 * payload (below a root field whose resolver returned) is MUTATION_OUTCOME_UNKNOWN with `made`,
 * since the change was made before its payload was read.
 */
export function useMutationOutcomes(): Plugin {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const context = args.contextValue as object;
      return {
        onExecuteDone({ result, setResult }) {
          const made = madeChanges.get(context);
          if (!made || !('errors' in result) || !result.errors?.length) return;
          let changed = false;
          const errors = result.errors.map((error) => {
            const root = error.path?.[0];
            if (!error.path || error.path.length < 2 || typeof root !== 'string' || !made.has(root)) return error;
            const kind = outage(error);
            if (kind === null) return error;
            changed = true;
            return mutationOutcomeUnknown(kind === 'overload' ? null : kind, error.originalError ?? error, {
              path: error.path,
              made: true,
              safeToRetry: made.get(root)!,
            });
          });
          if (changed) setResult({ ...result, errors });
        },
      };
    },
  };
}

/** A Mutation field's `extensions` when sending it twice is the same as once. */
export const idempotent = Object.freeze({ idempotent: true });
