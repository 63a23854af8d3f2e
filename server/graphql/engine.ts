import { builder } from './builder.ts';
import type { EngineStatus } from './context.ts';

export const EngineStateEnum = builder.enumType('EngineState', { values: ['STARTING', 'READY', 'FAILED'] as const });

const EngineErrorRef = builder.objectRef<{ code: string; message: string }>('EngineError').implement({
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

export const EngineRef = builder.objectRef<EngineStatus>('Engine').implement({
  description: 'The generation engine: which model it runs and on which execution provider.',
  fields: (t) => ({
    state: t.field({ type: EngineStateEnum, resolve: (e) => e.state }),
    model: t.exposeString('model', { nullable: true, description: 'Model name ("demo", a hub repo id or a folder name).' }),
    provider: t.exposeString('provider', { nullable: true, description: 'ONNX Runtime execution provider in use.' }),
    isDemo: t.exposeBoolean('isDemo', { description: 'True for the forged random-weight demo model (no real pictures).' }),
    schedulers: t.exposeStringList('schedulers'),
    rngs: t.exposeStringList('rngs'),
    decoders: t.stringList({ description: 'VAE decoders jobs may ask for: full, and tiny when a TAESD decoder is in place.', resolve: (e) => [...e.decoders] }),
    error: t.field({ type: EngineErrorRef, nullable: true, resolve: (e) => e.error }),
  }),
});

builder.queryFields((t) => ({
  engine: t.field({ type: EngineRef, resolve: (_root, _args, ctx) => ctx.services.engine() }),
}));
