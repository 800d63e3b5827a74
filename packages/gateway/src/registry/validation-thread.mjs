// Entry of the payload validation thread. Plain JavaScript so every runtime
// can start it: under Node, TypeScript is loaded through tsx (a gateway
// dependency); Bun and Node with type stripping run the .ts directly.
if (!process.versions.bun && !process.features?.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('./validation-thread-main.ts');
