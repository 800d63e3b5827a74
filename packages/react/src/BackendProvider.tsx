// Makes one Backend (one socket, one gateway session) available to the hooks.
// The app creates the backend once, outside React, so re-renders and
// StrictMode never open a second connection.
import type { ReactNode } from 'react';
import type { AnyBackend, Backend } from '@warren/client';
import { BackendContext } from './backend-context.ts';

export interface BackendProviderProps {
  /** Typed (`createBackend({ url, contracts })`) or untyped; the hooks name types by string either way. */
  backend: AnyBackend;
  children?: ReactNode;
}

export const BackendProvider = ({ backend, children }: BackendProviderProps) => (
  // The hooks call by type name with explicit generics, i.e. the untyped
  // surface every backend has at run time; typed backends narrow it only at compile time.
  <BackendContext.Provider value={backend as unknown as Backend}>{children}</BackendContext.Provider>
);
