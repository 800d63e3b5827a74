// @vitest-environment happy-dom
// useConnection and useBackend: the provider's backend, connection changes.
import './dom.ts';
import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { BackendProvider, toConnection, useBackend, useConnection } from '../src/index.ts';
import { createFakeBackend } from '../../client/test/fake-backend.ts';

const Status = () => <output data-testid="connection">{useConnection()}</output>;

describe('useConnection', () => {
  it('follows the backend status and maps connecting to reconnecting', () => {
    const fake = createFakeBackend('connecting');
    render(
      <BackendProvider backend={fake.backend}>
        <Status />
      </BackendProvider>,
    );
    const shown = () => screen.getByTestId('connection').textContent;
    expect(shown()).toBe('reconnecting');
    act(() => fake.setStatus('connected'));
    expect(shown()).toBe('connected');
    act(() => fake.setStatus('reconnecting'));
    expect(shown()).toBe('reconnecting');
    act(() => fake.setStatus('offline'));
    expect(shown()).toBe('offline');
  });

  it('toConnection maps every client status', () => {
    expect(['connecting', 'connected', 'reconnecting', 'offline'].map((s) => toConnection(s as never))).toEqual([
      'reconnecting',
      'connected',
      'reconnecting',
      'offline',
    ]);
  });
});

describe('useBackend', () => {
  it('returns the provider’s backend', () => {
    const fake = createFakeBackend();
    let seen: unknown;
    const Reader = () => {
      seen = useBackend();
      return null;
    };
    render(
      <BackendProvider backend={fake.backend}>
        <Reader />
      </BackendProvider>,
    );
    expect(seen).toBe(fake.backend);
  });

  it('throws a helpful error without a provider', () => {
    const Reader = () => {
      useBackend();
      return null;
    };
    const original = console.error;
    console.error = () => undefined; // React logs the render error too
    try {
      expect(() => render(<Reader />)).toThrow(/BackendProvider/);
    } finally {
      console.error = original;
    }
  });
});
