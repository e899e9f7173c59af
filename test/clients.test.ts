import { yoga } from '../src/graphql/yoga';
import { resetDatabase } from './support/factories';

// The rule docs/clients.md states ("The CSRF rule"): a request a browser may send across sites without a
// preflight (any GET, a POST of a form or of text/plain) must carry x-graphql-yoga-csrf; a JSON
// POST, which every client library sends by default, needs nothing.

beforeAll(() => resetDatabase({ seed: true }));

const query = '{ teams { totalCount } }';
const answer = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as { data?: unknown; errors?: { message: string }[] },
});

it('runs a JSON POST without any CSRF header', async () => {
  const response = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  expect(await answer(response)).toEqual({ status: 200, body: { data: { teams: { totalCount: 2 } } } });
});

it('refuses a GET and a form POST without x-graphql-yoga-csrf (403), and runs them with it', async () => {
  const get = (headers: Record<string, string>) =>
    yoga.fetch(`http://yoga/graphql?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/json', ...headers },
    });
  const formPost = (headers: Record<string, string>) =>
    yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
      body: new URLSearchParams({ query }).toString(),
    });
  for (const send of [get, formPost]) {
    const refused = await answer(await send({}));
    expect([refused.status, refused.body.errors?.map((error) => error.message)]).toEqual([
      403,
      ['Required CSRF header(s) not present'],
    ]);
    const allowed = await answer(await send({ 'x-graphql-yoga-csrf': '1' }));
    expect(allowed).toEqual({ status: 200, body: { data: { teams: { totalCount: 2 } } } });
  }
});
