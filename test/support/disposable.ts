// Test resources that clean themselves up: `await using gateway = disposable(
// await createGateway(...))` closes it when the block ends, thrown or not.
export const disposable = <T extends { close(): unknown }>(resource: T): T & AsyncDisposable =>
  Object.assign(resource, { [Symbol.asyncDispose]: async () => void (await resource.close()) });
