// The authentication options (JWT and anonymous callers) and the rules
// between them, checked at start-up: which key, which algorithms go with it,
// and what JWT authentication requires. Apart from options.ts because these
// fields only make sense together.
import { z } from 'zod';
import { DEFAULTS } from './options-defaults.ts';

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const JWT_ALGORITHMS = [...HMAC_ALGORITHMS, 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export const authenticationFields = {
  jwtSecret: z.string().min(32, 'use at least 32 characters').optional().describe('HMAC secret: turns on JWT authentication (HS256/384/512).'),
  jwtPublicKey: z.string().optional().describe('PEM public key: turns on JWT authentication (RS/PS/ES/EdDSA).'),
  jwtAlgorithms: z
    .array(z.enum(JWT_ALGORITHMS))
    .min(1)
    .optional()
    .describe('Accepted JWT algorithms (never `none`). Default: HS256 with jwtSecret, RS256 with jwtPublicKey. Comma-separated.'),
  jwtIssuer: z.string().min(1).optional().describe('Required `iss` of tokens; needed with JWT authentication.'),
  jwtAudience: z.string().min(1).optional().describe('Required `aud` of tokens; needed with JWT authentication.'),
  jwtClockToleranceSec: z.number().int().min(0).max(300).default(DEFAULTS.jwtClockToleranceSec).describe('Leeway for `exp`/`nbf`, in seconds.'),
  allowAnonymous: z.boolean().optional().describe('Let clients without a token connect. Default: true without authentication configured, false with it.'),
};

type AuthenticationOptions = z.output<z.ZodObject<typeof authenticationFields>>;

/** Reports each broken rule between the authentication options through `issue(field, message)`. */
export const checkAuthentication = (o: AuthenticationOptions, issue: (path: string, message: string) => void) => {
  const jwt = o.jwtSecret !== undefined || o.jwtPublicKey !== undefined;
  if (o.jwtSecret !== undefined && o.jwtPublicKey !== undefined) issue('jwtPublicKey', 'set jwtSecret or jwtPublicKey, not both');
  if (jwt && o.jwtIssuer === undefined) issue('jwtIssuer', 'required with JWT authentication');
  if (jwt && o.jwtAudience === undefined) issue('jwtAudience', 'required with JWT authentication');
  if (!jwt && (o.jwtAlgorithms || o.jwtIssuer || o.jwtAudience)) issue('jwtSecret', 'set jwtSecret or jwtPublicKey to use JWT authentication');
  if (o.jwtAlgorithms && jwt) {
    const hmac = o.jwtSecret !== undefined;
    const wrong = o.jwtAlgorithms.filter((a) => (HMAC_ALGORITHMS as readonly string[]).includes(a) !== hmac);
    if (wrong.length > 0)
      issue('jwtAlgorithms', `${wrong.join(', ')} cannot be used with ${hmac ? 'jwtSecret (HS256/384/512 only)' : 'jwtPublicKey (no HS*)'}`);
  }
};
