import type { Plugin } from 'graphql-yoga';
import { type Caller, isTrustedAdmin } from '../access/roles';
import type { Context } from './context';
import { readAside } from '../db';
import { currentRequest, outsideRequest, type SentStatement } from '../ops/request-tracking';

// The SQL behind an operation, for whoever is tuning it (PostGraphile's Ruru and Hasura's console
// show the same): a request with `x-explain: statements` (or `1`) gets, under `extensions.explain`,
// the statements it sent with their parameters and durations; `x-explain: plan` adds each read's
// plan. Only for admin callers, and in production only for an admin with a token; for anyone else
// the header is ignored, without an error, so the answer is the one they would get without it.
// The statements come from the request's own record (src/ops/request-tracking.ts), where src/db/query-events.ts
// counts each one; they are kept only while such a request executes.

export const explainHeader = 'x-explain';

/** What the `x-explain` header asks for: the statements, or the statements with their plans. */
export type ExplainLevel = 'statements' | 'plan';

export function explainLevelOf(header: string | null): ExplainLevel | null {
  switch (header?.trim().toLowerCase()) {
    case '1':
    case 'statements':
      return 'statements';
    case 'plan':
      return 'plan';
    default:
      return null;
  }
}

/**
 * Whether `caller` may see the SQL of its requests: an admin; in production only one with a valid
 * token, so that ANONYMOUS_ROLE=admin does not hand every caller the statements and their values.
 */
export function mayExplain(caller: Caller, production: boolean): boolean {
  return isTrustedAdmin(caller, production);
}

export interface ExplainedStatement {
  sql: string;
  params: unknown;
  durationMs: number;
  /** EXPLAIN's lines, with `x-explain: plan`, for a read. */
  plan?: string[];
  /** Why there is no plan, with `x-explain: plan`: not a read, or what EXPLAIN answered. */
  noPlan?: string;
}

export interface Explanation {
  level: ExplainLevel;
  statements: ExplainedStatement[];
  /** Statements sent past `maxStatements`, counted but not listed. */
  omitted: number;
}

/**
 * Whether a statement only reads: a SELECT, or a WITH … SELECT with no INSERT, UPDATE, DELETE or
 * MERGE in it (PostgreSQL allows data-modifying parts at the top of a WITH only). Not a SELECT … FOR
 * UPDATE/SHARE, which locks rows for a write, nor SELECT … INTO, which creates a table. Conservative:
 * a read that merely names such a word is not explained, and nothing that writes is.
 */
export function isRead(sql: string): boolean {
  const text = sql.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)+/, '');
  if (/;\s*\S/.test(text)) return false;
  if (/\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|SHARE|KEY\s+SHARE)\b/i.test(text)) return false;
  if (/^SELECT\b/i.test(text)) return !/\bINTO\b/i.test(text);
  if (/^WITH\b/i.test(text)) return !/\b(INSERT|UPDATE|DELETE|MERGE|INTO)\b/i.test(text);
  return false;
}

/** Parameters as a response can carry them: Prisma's JSON text parsed, big integers as text. */
function paramsOf(params: SentStatement['params']): unknown[] {
  if (typeof params !== 'string') return [...params];
  try {
    const parsed: unknown = JSON.parse(params);
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    return [params];
  }
}

const jsonSafe = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item)));

/**
 * The statement's plan for these values, from EXPLAIN without ANALYZE: planned, never run again,
 * so explaining costs the database a plan per statement, however slow the statement. (ANALYZE would
 * run every read a second time, on warm caches, and report that second run.) On PostgreSQL a read
 * path's statement runs as a named prepared statement, with its generic plan (PG_GENERIC_PLANS) or
 * one it may settle on: this is the plan for the values the request sent, the one a read planned
 * per value gets (PostgreSQL 15 has no EXPLAIN of a generic plan; test/support/plans.ts reads one
 * with PREPARE).
 */
async function planOf(sql: string, params: unknown[]): Promise<Pick<ExplainedStatement, 'plan' | 'noPlan'>> {
  if (!isRead(sql)) return { noPlan: 'not a read: only SELECT statements are explained' };
  try {
    const { rows } = await outsideRequest(() => readAside(`EXPLAIN ${sql}`, params));
    return { plan: rows.map((row) => String(row[0])) };
  } catch (error) {
    return { noPlan: `EXPLAIN failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export async function explain(
  sent: readonly SentStatement[],
  level: ExplainLevel,
  maxStatements: number,
): Promise<Explanation> {
  const statements: ExplainedStatement[] = [];
  // One after another: an explained request should not take more of the pool than it did itself.
  for (const statement of sent.slice(0, maxStatements)) {
    const params = paramsOf(statement.params);
    statements.push({
      sql: statement.text,
      params: jsonSafe(params),
      durationMs: Math.round(statement.durationMs * 1000) / 1000,
      ...(level === 'plan' ? await planOf(statement.text, params) : {}),
    });
  }
  return { level, statements, omitted: Math.max(0, sent.length - maxStatements) };
}

/**
 * Answers `x-explain` for the callers `mayExplain` lets see it: the statements an operation sent
 * while it executed (queries and mutations; a subscription's events are shared, not its own).
 */
export function useExplain(options: { production: boolean; maxStatements?: number }): Plugin {
  const maxStatements = options.maxStatements ?? 200;
  return {
    onExecute({ args }) {
      const context = args.contextValue as Partial<Context> & { request?: Request };
      const level = explainLevelOf(context.request?.headers.get(explainHeader) ?? null);
      if (!level || !context.caller || !mayExplain(context.caller, options.production)) return;
      const record = currentRequest();
      if (!record) return;
      record.sent = [];
      return {
        async onExecuteDone({ result, setResult }) {
          const sent = record.sent ?? [];
          record.sent = null;
          if (Symbol.asyncIterator in result) return;
          const explanation = await explain(sent, level, maxStatements);
          setResult({ ...result, extensions: { ...result.extensions, explain: explanation } });
        },
      };
    },
  };
}
