// Makes one Backend (one socket, one gateway session) available to the hooks.
// The app creates the backend once, outside React, so re-renders and
// StrictMode never open a second connection.
import type { ReactNode } from 'react';
import type { Backend } from '@warren/client';
import { BackendContext } from './backend-context.ts';

export interface BackendProviderProps {
  backend: Backend;
  children?: ReactNode;
}

export const BackendProvider = ({ backend, children }: BackendProviderProps) => (
  <BackendContext.Provider value={backend}>{children}</BackendContext.Provider>
);
