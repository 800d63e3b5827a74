export { registerHandlers, type Handlers, type RegisterOptions, type WorkerHandle } from './register-handlers.ts';
export type { Handler } from './run-request.ts';
export type { HandlerContext } from './context.ts';
export { DEFAULTS as WORKER_DEFAULTS, workerOptionsFromEnv, type WorkerOptionsInput } from './options.ts';
export { createWarrenError, type ErrorCode } from '@warren/protocol';
