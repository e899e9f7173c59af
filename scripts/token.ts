// npm run token -- --role editor [--role …] [--sub alice] [--expires 8h]
// Prints a development token signed with JWT_SECRET (from the environment or .env), with the
// JWT_ISSUER, JWT_AUDIENCE and JWT_ROLES_CLAIM the server checks. For GraphiQL's headers tab:
// {"Authorization": "Bearer <token>"}. Servers with a JWKS take tokens from their identity provider.
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { isRole, roles } from '../src/access/roles';
import { config } from '../src/config';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    role: { type: 'string', multiple: true },
    sub: { type: 'string', default: 'developer' },
    expires: { type: 'string', default: '8h' },
  },
});

const jwt = config.access.jwt;
if (jwt?.keys.kind !== 'secret') {
  fail(
    'npm run token signs with JWT_SECRET, which is not set' +
      (jwt
        ? ` (this configuration checks tokens with ${jwt.keys.kind === 'jwks-file' ? 'JWT_JWKS_FILE' : 'JWT_JWKS_URL'})`
        : '') +
      '. Put one of at least 32 characters in .env, e.g.\n  echo "JWT_SECRET=$(node -e \'console.log(require(`crypto`).randomBytes(32).toString(`base64url`))\')" >> .env',
  );
}
const claimed = (values.role ?? ['viewer']).flatMap((role) => role.split(',')).filter(Boolean);
for (const role of claimed) {
  if (!isRole(role))
    console.warn(`Note: "${role}" is not a role this server knows (${roles.join(', ')}): it grants nothing`);
}

let token = new SignJWT({ [jwt.rolesClaim]: claimed })
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(values.expires);
if (jwt.issuer) token = token.setIssuer(jwt.issuer);
if (jwt.audience) token = token.setAudience(jwt.audience[0]!);
token.sign(new TextEncoder().encode(jwt.keys.secret)).then((signed) => console.log(signed), fail);
