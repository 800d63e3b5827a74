// The Backend from the nearest <BackendProvider>.
import { useContext } from 'react';
import type { Backend } from '@warren/client';
import { BackendContext } from './backend-context.ts';

export const useBackend = (): Backend => {
  const backend = useContext(BackendContext);
  if (backend === null) {
    throw new Error('useBackend: no backend here; wrap the app in <BackendProvider backend={createBackend({ url })}>');
  }
  return backend;
};
