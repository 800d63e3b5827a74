export { registerHandlers, type Handlers, type RegisterHandlers, type RegisterOptions, type WorkerHandle } from './register-handlers.ts';
export { contractOf, withContracts, type ContractHandler, type ContractHandlers } from './contracts.ts';
export { SDK_VERSION } from './sdk-version.ts';
export type { Handler } from './run-request.ts';
export type { HandlerContext } from './run-request.ts';
export type { WorkerMetrics } from './metrics.ts';
export { DEFAULTS as WORKER_DEFAULTS, workerOptionsFromEnv, type WorkerOptionsInput } from './options.ts';
export { createWarrenError, defineContract, defineContracts, type Contract, type Contracts, type ErrorCode } from '@warren/protocol';
