// The role lattice: every role can do what the roles below it can. Nothing here reads the
// environment or a request; src/access/authentication.ts decides who the caller is, the schema
// names only the scopes (src/graphql/builder.ts maps them to these roles).

// The role names themselves are the configuration's (ANONYMOUS_ROLE names one): src/config.ts.
import { type Role, roles } from '../config';

export { isRole, type Role, roles } from '../config';

/** Who sends the request, on the GraphQL context as `caller`. */
export interface Caller {
  /** The strongest known role the caller has; null when none (a token with unknown roles only). */
  readonly role: Role | null;
  /** The roles as the token claims them, unknown ones included (anonymous: the anonymous role). */
  readonly roles: readonly string[];
  /** The token's `sub`, when it has one. */
  readonly subject?: string;
  /** Whether the caller sent a valid token (false: anonymous). */
  readonly authenticated: boolean;
  /** When the token expires (its `exp`, in ms since the epoch): a subscription it opened ends then. */
  readonly expiresAt?: number;
}

/** The strongest known role of a list; unknown names count for nothing. */
export function strongestRole(names: readonly string[]): Role | null {
  let best = -1;
  for (const name of names) best = Math.max(best, roles.indexOf(name as Role));
  return best < 0 ? null : roles[best]!;
}

/** Whether the caller's role is `needed` or stronger. */
export function hasRole(caller: Caller, needed: Role): boolean {
  return caller.role !== null && roles.indexOf(caller.role) >= roles.indexOf(needed);
}

/**
 * Whether the caller is an admin who may go past what others may (see the SQL of its requests,
 * send a document outside the trusted manifest): in production only an admin with a valid token,
 * so that ANONYMOUS_ROLE=admin does not hand that to every caller.
 */
export function isTrustedAdmin(caller: Caller, production: boolean): boolean {
  return caller.role === 'admin' && (!production || caller.authenticated);
}

/** The caller without a token: `role` (ANONYMOUS_ROLE) or, when anonymous callers are refused, null. */
export function anonymousCaller(role: Role | null): Caller {
  return Object.freeze({ role, roles: role ? [role] : [], authenticated: false });
}
