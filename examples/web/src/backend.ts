// The app's one backend: one socket, one gateway session per tab. `/` is the
// origin that served the page: the gateway in production, Vite's proxy in dev.
import { createBackend } from '@warren/client';

export const backend = createBackend({ url: '/' });
