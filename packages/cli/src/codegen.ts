// `warren codegen`: reads a gateway's live registry (GET /registry) and
// writes TypeScript types for every request type in it, Python services
// included, in the shape `createBackend<BackendTypes>({ url })` accepts.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createWarrenError, isWarrenError, parseCatalogue, type Catalogue } from '@warren/protocol';
import type { CallIo } from './call.ts';
import { renderTypes } from './codegen/render.ts';

export interface CodegenCommand {
  url: string;
  /** Bearer token for a gateway with authentication on (GET /registry needs one there). */
  token?: string | undefined;
  /** File to write; absent = stdout. */
  out: string | undefined;
  /** Name of the map type. */
  name: string;
  /** Only these types; absent = all. */
  only: string[] | undefined;
}

const REGISTRY_TIMEOUT_MS = 5000;

export const registryUrl = (gatewayUrl: string) => new URL('/registry', gatewayUrl).toString();

export const fetchCatalogue = async (gatewayUrl: string, timeoutMs = REGISTRY_TIMEOUT_MS, token?: string): Promise<Catalogue> => {
  const url = registryUrl(gatewayUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch (error) {
    throw createWarrenError(
      'DISCONNECTED',
      `Cannot reach a Warren gateway at ${gatewayUrl} (${(error as Error).message}; is \`npm start\` running? pass --url).`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw createWarrenError(
      response.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
      `GET ${url} answered ${response.status}: this gateway requires ${response.status === 401 ? 'a token (--token or $WARREN_TOKEN)' : 'a token with one of its registryRoles'}.`,
    );
  }
  if (!response.ok) throw createWarrenError('INTERNAL', `GET ${url} answered ${response.status}; is this a Warren gateway?`);
  const parsed = parseCatalogue(await response.json().catch(() => null));
  if (!parsed.ok) throw createWarrenError('INTERNAL', `GET ${url} did not return a registry catalogue: ${parsed.error.message}`);
  return parsed.value;
};

export const codegen = async (cmd: CodegenCommand, io: CallIo, timeoutMs = REGISTRY_TIMEOUT_MS): Promise<number> => {
  try {
    const catalogue = await fetchCatalogue(cmd.url, timeoutMs, cmd.token);
    const missing = (cmd.only ?? []).filter((type) => !catalogue.types.some((t) => t.type === type));
    if (missing.length > 0) throw createWarrenError('NO_HANDLER', `No live instance announces ${missing.join(', ')}.`);
    const rendered = renderTypes(catalogue, {
      source: registryUrl(cmd.url),
      name: cmd.name,
      ...(cmd.only === undefined ? {} : { only: cmd.only }),
    });
    for (const type of rendered.conflicts) {
      io.err(`warning: instances disagree on the schemas of "${type}" (see GET /registry conflicts); its types are unknown`);
    }
    if (cmd.out === undefined) io.out(rendered.code.trimEnd());
    else {
      await mkdir(dirname(cmd.out), { recursive: true });
      await writeFile(cmd.out, rendered.code);
      io.err(`wrote ${cmd.out}: ${rendered.types.length} request type(s)${rendered.types.length > 0 ? ` (${rendered.types.join(', ')})` : ''}`);
    }
    return 0;
  } catch (error) {
    io.err(isWarrenError(error) ? `${error.code}: ${error.message}` : `INTERNAL: ${(error as Error).message}`);
    return 1;
  }
};
