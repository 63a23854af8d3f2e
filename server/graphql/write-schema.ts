// `npm run schema`: writes schema.graphql from the Pothos schema (a test fails when the committed file is stale).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchemaSdl } from './schema.ts';

const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
writeFileSync(target, printSchemaSdl());
console.log(`wrote ${target}`);
