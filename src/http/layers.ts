import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config';
import { compressAnswers } from './compression';
import { securityHeaders } from './security-headers';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * `handler` behind what every answer of the public port goes through: the security headers, then
 * compression (COMPRESSION). Node-level, so that they apply to Yoga's answers whatever made them.
 */
export function withHttpLayers(handler: Handler, config: Pick<Config, 'production' | 'cors' | 'compression'>): Handler {
  const headers = securityHeaders({
    production: config.production,
    crossOrigin: config.cors.any || config.cors.origins.length > 0 || config.cors.localhost,
    compressed: config.compression.enabled,
  });
  if (!config.compression.enabled)
    return (request, response) => headers(request, response, () => handler(request, response));
  const compress = compressAnswers(config.compression);
  return (request, response) =>
    headers(request, response, () => compress(request, response, () => handler(request, response)));
}
