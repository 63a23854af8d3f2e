import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
// Each type family registers its types and root fields with the builder on import.
import './jobs.ts';
import './images.ts';
import './batches.ts';
import './queue-counts.ts';
import './engine.ts';
import './config.ts';
import './health.ts';
import './sets.ts';
import './loras.ts';
import './prompts.ts';

let schema: GraphQLSchema | undefined;

export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The SDL committed as schema.graphql (sorted, so the file only changes when the schema does). */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}
