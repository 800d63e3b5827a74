import { describe, expect, it } from 'vitest';
import type { Catalogue } from '../src/index.ts';
import { rejectionOf, setup } from './setup.ts';

const catalogue: Catalogue = {
  protocolVersion: 1,
  generatedAt: 1,
  instances: [],
  types: [{ type: 'chat', payload: { type: 'object' }, services: ['chat-demo'], instances: ['i1'], conflict: false }],
  conflicts: [],
};

describe('backend.services()', () => {
  it('asks the gateway over the socket and resolves with the catalogue', async () => {
    const { socket, backend } = setup();
    const pending = backend.services();
    const asked = socket.emitted.find((e) => e.event === 'registry');
    expect(asked?.body).toEqual({});
    asked?.ack?.({ ok: true, catalogue });
    await expect(pending).resolves.toEqual(catalogue);
  });

  it('rejects with the code the gateway answered', async () => {
    const { socket, backend } = setup();
    const pending = backend.services();
    socket.emitted.find((e) => e.event === 'registry')?.ack?.({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    expect(await rejectionOf(pending)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('rejects an unreadable answer with INTERNAL, and no answer with TIMEOUT', async () => {
    const { socket, backend } = setup();
    const bad = backend.services();
    socket.emitted.find((e) => e.event === 'registry')?.ack?.({ ok: true, catalogue: { types: 'x' } });
    expect(await rejectionOf(bad)).toMatchObject({ code: 'INTERNAL' });
    expect(await rejectionOf(backend.services({ timeoutMs: 20 }))).toMatchObject({ code: 'TIMEOUT' });
  });

  it('rejects with DISCONNECTED once the backend is closed', async () => {
    const { backend } = setup();
    backend.close();
    expect(await rejectionOf(backend.services())).toMatchObject({ code: 'DISCONNECTED' });
  });
});
