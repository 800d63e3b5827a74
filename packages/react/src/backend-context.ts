// The React context that carries one Backend to every hook below it.
import { createContext } from 'react';
import type { Backend } from '@warren/client';

export const BackendContext = createContext<Backend | null>(null);
BackendContext.displayName = 'WarrenBackend';
