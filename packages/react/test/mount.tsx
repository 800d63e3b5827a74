// What the hook tests share: a component tree over a fake backend, and the
// three moves they make on it (read a test id, click a button, let it settle).
import { act, fireEvent, render, screen } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import { BackendProvider } from '../src/index.ts';
import { createFakeBackend, flush } from '../../client/test/fake-backend.ts';

/** `stored`: keys a previous page load of this tab left in the call store. */
export const mount = (ui: ReactNode, { strict = false, stored = [] as string[] } = {}) => {
  const fake = createFakeBackend();
  for (const key of stored) fake.callStore.set(key, { id: `old-${key}`, type: 'work', startedAt: 1 });
  const tree = <BackendProvider backend={fake.backend}>{ui}</BackendProvider>;
  const view = render(strict ? <StrictMode>{tree}</StrictMode> : tree);
  return { ...fake, view };
};

export const text = (id: string) => screen.getByTestId(id).textContent;
export const click = (name: string) => fireEvent.click(screen.getByRole('button', { name }));
export const step = (fn: () => void) =>
  act(async () => {
    fn();
    await flush();
  });
