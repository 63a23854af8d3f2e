import type { LoadedConfig, ConfigPatch } from '../config/index.ts';
import type { Repositories } from '../db/index.ts';
import type { EngineStatus, JobEvents, JobQueue, QueuePubSub } from '../queue/index.ts';

export type { EngineStatus };

/** Long-lived services shared by every request. */
export interface ServerServices {
  repos: Repositories;
  queue: JobQueue;
  events: JobEvents;
  pubSub: QueuePubSub;
  config(): LoadedConfig;
  /** Allowlisted partial update of the config file; absent when the config has no file to write. */
  updateConfig?(patch: ConfigPatch): LoadedConfig;
  engine(): EngineStatus;
  /** LoRA names offered by the LoRA folder (file names without extension). */
  loraNames(): Promise<readonly string[]>;
  startedAt: number;
  version: string;
}

export interface GraphQLContext {
  services: ServerServices;
}
