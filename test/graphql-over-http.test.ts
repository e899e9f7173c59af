import { type AuditResult, serverAudits } from 'graphql-http';
import { yoga } from '../src/graphql/yoga';

// graphql-http's audit of the GraphQL-over-HTTP spec, run through the server object. Every MUST
// has to pass; a SHOULD or MAY that fails must be listed here and in docs/limits.md ("GraphQL over HTTP")
// with the reason, and a listed one that starts passing fails the test too, so the list stays exact.
// (7B9B's document fails validation before its variable is coerced: test/bad-input.test.ts checks
// the status of coercion failures for both media types.)

/** The audits (by id) this server does not follow, each with its reason in docs/limits.md. None today. */
const notFollowed: readonly string[] = [];

const csrfHeader = { 'x-graphql-yoga-csrf': '1' };

function auditsOf(headers: Record<string, string>) {
  return serverAudits({
    url: 'http://yoga/graphql',
    fetchFn: (url: string, init?: RequestInit) =>
      yoga.fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
  });
}

const summary = (result: AuditResult) =>
  result.status === 'ok' ? result.id : `${result.id} (${result.status}: ${result.name}: ${result.reason})`;

describe('GraphQL over HTTP (graphql-http server audits), with the CSRF header every client sends', () => {
  const audits = auditsOf(csrfHeader);

  it('runs them all: a new version of the audit may add some, none may vanish unseen', () => {
    expect(audits.length).toBeGreaterThanOrEqual(61);
    expect(notFollowed.filter((id) => !audits.some((audit) => audit.id === id))).toEqual([]);
  });

  it.each(audits.map((audit) => [audit.id, audit.name, audit] as const))('%s %s', async (id, name, audit) => {
    const result = await audit.fn();
    if (name.startsWith('MUST') || !notFollowed.includes(id)) expect(summary(result)).toBe(id);
    else expect(result.status).not.toBe('ok');
  });
});

describe('without the CSRF header', () => {
  it('only the GET audits fail, refused 403: a browser may send a GET across sites without asking', async () => {
    const failed: string[] = [];
    for (const audit of auditsOf({})) {
      const result = await audit.fn();
      if (result.status !== 'ok') {
        expect([result.id, result.response.status]).toEqual([result.id, 403]);
        failed.push(result.id);
      }
    }
    // 5A70: a GET query; D6D5 and 6A70: a GET with variables (all three MAY). docs/limits.md says so.
    expect(failed).toEqual(['5A70', 'D6D5', '6A70']);
  });
});
