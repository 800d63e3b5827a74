export * from './errors.ts';
export * from './topology.ts';
export * from './envelopes.ts';
export * from './parse.ts';
