import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql has no "exports" map: Node loads its CommonJS main (as graphql-yoga and Pothos do), Vite its "module"
    // file. Two copies break `instanceof GraphQLError` (errors get masked) and cross-realm schema checks in tests.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: integration tests spawn servers and ONNX sessions of their own.
    maxWorkers: 2,
  },
});
