// What the READMEs' prose has set up around a fragment: a typed backend, the
// contracts of the examples, the page's helpers. Each README block is checked
// as its own module with these as globals (scripts/check-docs.mjs); a block
// that declares the same name shadows it. Not part of the repository's own
// typecheck (tsconfig.json excludes scripts/docs).
import type { Backend, ContractTypes, RegistryReader } from '@warren/client';
import * as protocol from '@warren/protocol';
import type { contracts as demo } from '@warren/example-contracts';
import * as zod from 'zod';

/** The README's `greet` type (packages/worker/README.md § Contracts). */
const greetContracts = protocol.defineContracts({
  greet: protocol.defineContract({
    payload: zod.z.object({ name: zod.z.string().min(1), times: zod.z.number().int().default(1) }),
    chunk: zod.z.object({ word: zod.z.string() }),
    result: zod.z.object({ greeting: zod.z.string() }),
  }),
});

type DocsContracts = typeof greetContracts & typeof demo;

declare global {
  /** `createBackend({ url: '/', contracts })` with the demo's and the README's contracts. */
  const backend: Backend<ContractTypes<DocsContracts>> & RegistryReader;
  const contracts: typeof greetContracts;
  const abortController: AbortController;
  const root: HTMLElement;
  const z: typeof zod.z;
  const defineContract: typeof import('@warren/protocol').defineContract;
  const defineContracts: typeof import('@warren/protocol').defineContracts;
  const registerHandlers: typeof import('@warren/worker').registerHandlers;
  const createBackend: typeof import('@warren/client').createBackend;
  const createRoot: typeof import('react-dom/client').createRoot;
  const useSyncExternalStore: typeof import('react').useSyncExternalStore;
  const useBackendRequest: typeof import('@warren/react').useBackendRequest;
  const useConnection: typeof import('@warren/react').useConnection;
  const App: () => import('react').ReactNode;
  /** The page's own rendering, whatever it is. */
  function append(text: string): void;
  function render(value: unknown): void;
}
