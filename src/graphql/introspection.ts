import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { Plugin } from 'graphql-yoga';
import type { IntrospectionMode } from '../config';

/**
 * INTROSPECTION: `on` answers introspection to anyone; `authenticated` only to callers with a
 * valid token (the production default: the schema is no map for anonymous visitors, while
 * GraphiQL and codegen work with a token); `off` to no one. Refused introspection is a validation
 * error, before anything runs.
 */
export function introspectionPlugins(mode: IntrospectionMode): Plugin[] {
  if (mode === 'on') return [];
  if (mode === 'off') return [useDisableIntrospection() as Plugin];
  return [
    useDisableIntrospection({
      // Asked before parameters are read, so before authentication (useAuthentication, onParams)
      // has checked the token: a request with one is answered 401 there, before validation, if
      // the token is not valid. Without a header the caller is anonymous.
      isDisabled: (request) => !request.headers.has('authorization'),
    }) as Plugin,
  ];
}
