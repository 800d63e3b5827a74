// jwtVerifier: a TokenVerifier for JSON Web Tokens, on `jose`. The allowed
// algorithms are fixed by configuration (never taken from the token, so
// `alg: none` and HMAC-with-a-public-key confusion are refused); `iss`,
// `aud` and `exp` are required and checked.
import { createPublicKey } from 'node:crypto';
import { errors, importSPKI, jwtVerify, type CryptoKey, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { z } from 'zod';
import { parsePluginOptions } from './plugin-options.ts';
import { refuse } from './errors.ts';
import type { TokenVerifier } from './authenticate.ts';
import type { Principal } from './types.ts';

const HMAC = ['HS256', 'HS384', 'HS512'] as const;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const schema = z
  .object({
    /** HMAC secret (HS256/384/512), at least 32 characters. */
    secret: z.string().min(32, 'use at least 32 characters').optional(),
    /** PEM public key (SPKI, `-----BEGIN PUBLIC KEY-----`) for RS/PS/ES/EdDSA. */
    publicKey: z.string().optional(),
    /** Algorithms accepted; anything else, `none` included, is refused. */
    algorithms: z.array(z.enum([...HMAC, ...ASYMMETRIC])).min(1),
    /** Required `iss` (one or several accepted). */
    issuer: oneOrMany,
    /** Required `aud` (one or several accepted). */
    audience: oneOrMany,
    /** Leeway for `exp`/`nbf`, in seconds. @default 5 */
    clockToleranceSec: z.number().int().min(0).max(300).default(5),
    /** Maps verified claims to the principal. @default all claims but exp, iat, nbf, jti, aud */
    toPrincipal: z.custom<(claims: JWTPayload) => Principal>((v) => typeof v === 'function').optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.secret === undefined) === (o.publicKey === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'set exactly one of secret (HMAC) or publicKey (PEM)' });
      return;
    }
    const family: readonly string[] = o.secret !== undefined ? HMAC : ASYMMETRIC;
    const wrong = o.algorithms.filter((a) => !family.includes(a));
    if (wrong.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: `${wrong.join(', ')} cannot be used with ${o.secret !== undefined ? 'a secret (HS256/384/512 only)' : 'a public key (no HS*)'}`,
      });
    }
    if (o.publicKey !== undefined) {
      try {
        createPublicKey(o.publicKey);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['publicKey'], message: 'not a PEM public key' });
      }
    }
  });

export type JwtVerifierOptions = z.input<typeof schema>;

const REGISTERED = new Set(['exp', 'iat', 'nbf', 'jti', 'aud']);
const defaultToPrincipal = (claims: JWTPayload): Principal => Object.fromEntries(Object.entries(claims).filter(([k]) => !REGISTERED.has(k))) as Principal;

// Messages for people; the code is always UNAUTHORIZED.
const reasonOf = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return 'The token has expired.';
  if (error instanceof errors.JWTClaimValidationFailed) return `The token's "${error.claim}" claim is not accepted.`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm this gateway does not accept.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  return 'The token is invalid.';
};

export const jwtVerifier = (input: JwtVerifierOptions): TokenVerifier => {
  const options = parsePluginOptions('jwtVerifier', schema, input);
  const toPrincipal = options.toPrincipal ?? defaultToPrincipal;
  const secret = options.secret === undefined ? undefined : new TextEncoder().encode(options.secret);
  const publicKeys = new Map<string, Promise<CryptoKey>>();
  const keyFor = (alg: string) => {
    let key = publicKeys.get(alg);
    if (!key) publicKeys.set(alg, (key = importSPKI(options.publicKey!, alg)));
    return key;
  };
  const verifyOptions = {
    algorithms: options.algorithms,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSec,
    requiredClaims: ['exp', 'iss', 'aud'],
  };
  return async (token) => {
    try {
      const { payload } = secret
        ? await jwtVerify(token, secret, verifyOptions)
        : await jwtVerify(token, (header: JWTHeaderParameters) => keyFor(header.alg), verifyOptions);
      // The moment the token stops being accepted, leeway included: the
      // gateway re-checks it at every request and must agree with jose here.
      return { principal: toPrincipal(payload), expiresAtMs: ((payload.exp as number) + options.clockToleranceSec) * 1000 };
    } catch (error) {
      throw refuse('UNAUTHORIZED', reasonOf(error));
    }
  };
};
