// The Register of README.md's main.tsx, for every block that does not declare
// its own (those are checked in a program of their own: Register is global).
import type {} from './prelude.ts';
declare module '@warren/react' {
  interface Register {
    backend: typeof backend;
  }
}
