// JWTs for the security suites, signed with jose like a real identity provider would.
import { SignJWT } from 'jose';

export const JWT_ENV = {
  JWT_SECRET: 'security-suite-secret-at-least-32-characters',
  JWT_ISSUER: 'https://id.warren.test',
  JWT_AUDIENCE: 'warren-security-suite',
  JWT_CLOCK_TOLERANCE_SEC: '0',
};

export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export const signToken = (sub: string, claims: Record<string, unknown> = {}, opts: { expSec?: number; iss?: string; aud?: string; secret?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(opts.iss ?? JWT_ENV.JWT_ISSUER)
    .setAudience(opts.aud ?? JWT_ENV.JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expSec ?? 600))
    .sign(new TextEncoder().encode(opts.secret ?? JWT_ENV.JWT_SECRET));

/** The same claims with `alg: none` and no signature. */
export const unsignedToken = (sub: string) =>
  `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, iss: JWT_ENV.JWT_ISSUER, aud: JWT_ENV.JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600, roles: ['admin'] })}.`;
