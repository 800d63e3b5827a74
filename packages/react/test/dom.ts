// DOM test set-up shared by the component tests (they opt into happy-dom
// per file): unmount after each test, since vitest runs without globals.
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
});
