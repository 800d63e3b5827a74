export * from './errors.ts';
export * from './topology.ts';
export * from './envelopes.ts';
export * from './parse.ts';
export * from './registry.ts';
export * from './contracts.ts';
export * from './validation.ts';
export * from './broker-urls.ts';
