export { parseArgs, USAGE, type Command } from './args.ts';
export { call, type CallIo } from './call.ts';
export { codegen, fetchCatalogue, registryUrl, type CodegenCommand } from './codegen.ts';
export { renderTypes, type Rendered, type RenderOptions } from './codegen/render.ts';
export { schemaToTs } from './codegen/json-schema-to-ts.ts';
