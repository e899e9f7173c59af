import { Client } from 'pg';
import { databaseKind, prisma } from '../../src/db';

// Plans of the statements a request sent, read the way the server runs them. A read the loaders
// send as a named prepared statement (src/db/prepared-statements.ts, readPrepared) is planned for its values for its
// first five runs; from the sixth, PostgreSQL may keep one generic plan, made for any values,
// whenever that plan looks no costlier. EXPLAIN of the statement's text with its values shows only
// the first kind, so every check of rows read also reads the plan after six runs and the generic
// plan itself (plan_cache_mode set in this session only). PGlite's planner is PostgreSQL's: the
// same checks run on both databases.

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Total Cost'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  /** The condition a scan or join checks on each row. */
  Filter?: string;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** How a plan was made: for the values (custom), after six runs (prepared), for any values (generic). */
export type PlanMode = 'custom' | 'prepared' | 'generic';

export interface ServedPlan {
  plan: PlanNode;
  /** The planner's estimate of the whole statement. */
  cost: number;
  /** Whether PostgreSQL compiled the statement with LLVM (JIT) for this run. */
  jit: boolean;
}

/** One statement of a request, as recordSql saw it. */
export interface Recorded {
  sql: string;
  params: unknown[];
  named: boolean;
}

/** The statements of a recorded request, those whose text matches `which` (all by default). */
export function statementsOf(
  recorded: { statements: string[]; params: string[]; named: boolean[] },
  which: RegExp = /./,
): Recorded[] {
  return recorded.statements
    .map((sql, i) => ({ sql, params: JSON.parse(recorded.params[i]!) as unknown[], named: recorded.named[i]! }))
    .filter((statement) => which.test(statement.sql));
}

/** A value as an SQL literal of unknown type: PostgreSQL reads it as the parameter's type. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
  if (Array.isArray(value)) {
    const element = (item: unknown) =>
      item === null ? 'NULL' : typeof item === 'number' ? String(item) : `"${String(item).replace(/["\\]/g, '\\$&')}"`;
    return quote(`{${value.map(element).join(',')}}`);
  }
  if (typeof value === 'object') return quote(JSON.stringify(value));
  return quote(String(value));
}

interface Session {
  run(sql: string): Promise<void>;
  rows<Row>(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

/** A session of its own on PostgreSQL; PGlite has one session, Prisma's. */
async function openSession(): Promise<Session> {
  if (databaseKind === 'postgresql') {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    return {
      run: async (sql) => void (await client.query(sql)),
      rows: async <Row>(sql: string) => (await client.query(sql)).rows as Row[],
      close: () => client.end(),
    };
  }
  return {
    run: async (sql) => void (await prisma.$executeRawUnsafe(sql)),
    rows: <Row>(sql: string) => prisma.$queryRawUnsafe<Row[]>(sql),
    close: async () => undefined,
  };
}

let statements = 0;

/**
 * EXPLAIN ANALYZE of `statement` with its parameters: planned for its values (custom) and, for a
 * statement the server prepares (named), also as a server's connection runs it after PREPARE and
 * six EXECUTEs with `warm` values (by default its own; another parent's, say, to see what a plan
 * settled on small teams does for a big one), and as the generic plan.
 */
export async function explainServed(
  statement: Recorded,
  options: { warm?: unknown[] } = {},
): Promise<Partial<Record<PlanMode, ServedPlan>>> {
  const session = await openSession();
  const args = (values: unknown[]) => values.map(literal).join(', ');
  const explain = async (name: string): Promise<ServedPlan> => {
    const [row] = await session.rows<{ 'QUERY PLAN': { Plan: PlanNode; JIT?: unknown }[] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${name}(${args(statement.params)})`,
    );
    const [entry] = row!['QUERY PLAN'];
    return { plan: entry!.Plan, cost: entry!.Plan['Total Cost']!, jit: entry!.JIT !== undefined };
  };
  const modes: PlanMode[] = statement.named ? ['custom', 'prepared', 'generic'] : ['custom'];
  const plans: Partial<Record<PlanMode, ServedPlan>> = {};
  try {
    for (const mode of modes) {
      const name = `served_plan_${process.pid}_${++statements}`;
      const cacheMode = { custom: 'force_custom_plan', prepared: 'auto', generic: 'force_generic_plan' }[mode];
      await session.run(`SET plan_cache_mode = ${cacheMode}`);
      await session.run(`PREPARE ${name} AS ${statement.sql}`);
      try {
        if (mode === 'prepared') {
          for (let run = 0; run < 6; run++) {
            await session.rows(`EXECUTE ${name}(${args(options.warm ?? statement.params)})`);
          }
        }
        plans[mode] = await explain(name);
      } finally {
        await session.run(`DEALLOCATE ${name}`);
      }
    }
  } finally {
    await session.run('RESET plan_cache_mode');
    await session.close();
  }
  return plans;
}

/** The rows `table`'s scans produced or read and threw away, over all their loops. */
export function rowsRead(plan: PlanNode, table: string): number {
  let rows = 0;
  const visit = (node: PlanNode) => {
    if (node['Relation Name'] === table && /Scan/.test(node['Node Type'])) {
      const perLoop =
        (node['Actual Rows'] ?? 0) +
        (node['Rows Removed by Filter'] ?? 0) +
        (node['Rows Removed by Index Recheck'] ?? 0);
      rows += perLoop * (node['Actual Loops'] ?? 1);
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(plan);
  return rows;
}

/** Whether any scan of the plan uses the index `name`. */
export function usesIndex(plan: PlanNode, name: string): boolean {
  return plan['Index Name'] === name || (plan.Plans ?? []).some((child) => usesIndex(child, name));
}

/**
 * The rows `table`'s scans read in each plan, each capped at `most`: a check compares it with
 * rowsPerPlan(plans, table), and a failure names the plan that read more.
 */
export function rowsPerPlan(
  plans: Partial<Record<PlanMode, ServedPlan>>,
  table: string,
  most = Infinity,
): Partial<Record<PlanMode, number>> {
  return Object.fromEntries(
    Object.entries(plans).map(([mode, served]) => [mode, Math.min(most, rowsRead(served.plan, table))]),
  );
}

/** jit_above_cost: a statement the planner costs above it is compiled (JIT) at every execution. */
export async function jitAboveCost(): Promise<number> {
  const session = await openSession();
  try {
    const [row] = await session.rows<{ jit_above_cost: string }>('SHOW jit_above_cost');
    return Number(row!.jit_above_cost);
  } finally {
    await session.close();
  }
}
