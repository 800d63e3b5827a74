// The built-in plugins createGateway puts in front of yours, in this order:
// originCheck → authenticate → connectionLimit → payloadLimit → rateLimit →
// inFlightLimit. Each is the same kind of plugin you can write yourself.
import { configError } from '@warren/protocol';
import type { GatewayOptions } from '../options.ts';
import { authenticate, type TokenVerifier } from './authenticate.ts';
import { connectionLimit } from './connection-limit.ts';
import { inFlightLimit } from './in-flight-limit.ts';
import { jwtVerifier } from './jwt-verifier.ts';
import { originCheck } from './origin-check.ts';
import { payloadLimit } from './payload-limit.ts';
import { rateLimit } from './rate-limit.ts';
import type { GatewayPlugin } from './types.ts';

/** The token check the gateway uses: `verifyToken`, or a JWT verifier from the options, or none. */
export const resolveVerifier = (options: GatewayOptions, verifyToken: TokenVerifier | undefined): TokenVerifier | undefined => {
  const jwt = options.jwtSecret !== undefined || options.jwtPublicKey !== undefined;
  if (jwt && verifyToken)
    throw configError('gateway options', [{ path: 'verifyToken', message: 'give either verifyToken or jwtSecret/jwtPublicKey, not both' }]);
  return (
    verifyToken ??
    (jwt
      ? jwtVerifier({
          ...(options.jwtSecret === undefined ? {} : { secret: options.jwtSecret }),
          ...(options.jwtPublicKey === undefined ? {} : { publicKey: options.jwtPublicKey }),
          algorithms: options.jwtAlgorithms ?? [options.jwtSecret !== undefined ? 'HS256' : 'RS256'],
          issuer: options.jwtIssuer!,
          audience: options.jwtAudience!,
          clockToleranceSec: options.jwtClockToleranceSec,
        })
      : undefined)
  );
};

export const builtinPlugins = (options: GatewayOptions, verify: TokenVerifier | undefined): GatewayPlugin[] => {
  const plugins: GatewayPlugin[] = [];
  if (options.allowedOrigins.length > 0) plugins.push(originCheck({ allowedOrigins: options.allowedOrigins }));
  if (verify) plugins.push(authenticate({ verify, allowAnonymous: options.allowAnonymous ?? false }));
  else if (options.allowAnonymous === false) {
    throw configError('gateway options', [{ path: 'allowAnonymous', message: 'false needs authentication (jwtSecret, jwtPublicKey or verifyToken)' }]);
  }

  if (options.maxConnectionsPerPrincipal > 0 || options.maxConnectionsPerIp > 0) {
    plugins.push(connectionLimit({ maxPerPrincipal: options.maxConnectionsPerPrincipal, maxPerIp: options.maxConnectionsPerIp }));
  }
  plugins.push(payloadLimit({ maxPayloadBytes: options.maxPayloadBytes }));
  if (options.rateLimitPerSecond > 0) plugins.push(rateLimit({ requestsPerSecond: options.rateLimitPerSecond, burst: options.rateLimitBurst }));
  if (options.maxInFlightPerConnection > 0) plugins.push(inFlightLimit({ maxPerConnection: options.maxInFlightPerConnection }));
  return plugins;
};
