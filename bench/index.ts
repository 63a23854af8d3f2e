import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, measureMatmulRate } from './machine.ts';

/** `npm run bench -- NAME…` runs the named benchmarks (all when none is named); each writes bench/results/NAME.json. */
const benches: Record<string, () => Promise<{ run: () => Promise<unknown> }>> = {
  machine: async () => ({ run: async () => ({ matmul: await measureMatmulRate() }) }),
  server: async () => ({ run: (await import('./server.ts')).runServerBench }),
  engine: async () => ({ run: (await import('./engine.ts')).runEngineBench }),
  deck: async () => ({ run: async () => (await import('./deck.ts')).runDeckBench() }),
  sessions: async () => ({ run: async () => (await import('./sessions.ts')).runSessionsBench() }),
  'sessions-ab': async () => ({ run: async () => (await import('./sessions.ts')).runSessionsAbBench() }),
  lora: async () => ({ run: async () => (await import('./lora.ts')).run() }),
  decoder: async () => ({ run: async () => (await import('./decoder.ts')).runDecoderBench() }),
  compare: async () => ({ run: async () => (await import('./compare.ts')).runCompareBench() }),
  optimize: async () => ({ run: async () => (await import('./optimize.ts')).runOptimizeBench() }),
  draft: async () => ({ run: async () => (await import('./draft.ts')).runDraftBench() }),
};

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

async function main(names: string[]): Promise<void> {
  const selected = names.length ? names : Object.keys(benches);
  const unknown = selected.filter((n) => !benches[n]);
  if (unknown.length) {
    console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  mkdirSync(resultsDir, { recursive: true });
  const machine = describeMachine();
  for (const name of selected) {
    console.error(`bench ${name}…`);
    const result = await (await benches[name]()).run();
    const file = join(resultsDir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ bench: name, date: new Date().toISOString(), machine, result }, null, 2) + '\n');
    console.log(`${name}: ${file}`);
    console.log(JSON.stringify(result, null, 2));
  }
}

await main(process.argv.slice(2));
