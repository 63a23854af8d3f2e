export { buildSchema, printSchemaSdl } from './schema.ts';
export { healthReport, type HealthReport } from './health.ts';
export type { EngineStatus, GraphQLContext, ServerServices } from './context.ts';
export { validateGenerateInput, parseSeed, type GenerateInputShape, type GenerateLimits } from './generate-validation.ts';
