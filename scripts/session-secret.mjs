// The session secret `npm start` hands its gateway. A gateway signs session
// resume tokens with it; the supervisor restarts a crashed gateway, and a
// restart with a fresh random secret would orphan every session (clients get
// "could not resume the session" while their replies wait in the broker). So
// it is made once and kept with the checkout's local state, never committed.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './ensure.mjs';

/** Where `npm start` keeps local state: `.warren/` in the checkout (git-ignored), or WARREN_STATE_DIR. */
export const stateDir = (env = process.env) => env.WARREN_STATE_DIR || join(root, '.warren');

const MIN_LENGTH = 16; // the gateway's own minimum

const readSecret = (file) => {
  try {
    const secret = readFileSync(file, 'utf8').trim();
    return secret.length >= MIN_LENGTH ? secret : undefined;
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
};

/**
 * The stored secret, created on first use (32 random bytes, base64url, file
 * mode 600). Returns `{ secret, file, created }`.
 */
export const loadSessionSecret = (dir = stateDir()) => {
  const file = join(dir, 'session-secret');
  let secret = readSecret(file);
  if (secret !== undefined) {
    // Someone loosened it (or an old umask): only the owner reads a signing key.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { secret, file, created: false };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  secret = randomBytes(32).toString('base64url');
  try {
    // 'wx': two `npm start`s racing on a fresh checkout must agree on one secret.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    const theirs = readSecret(file);
    if (theirs !== undefined) return { secret: theirs, file, created: false };
    // An existing file too short to be a secret: replace it.
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return { secret, file, created: true };
};
