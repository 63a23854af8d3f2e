import type { BatchRow, ImageRow, JobRow } from '../db/index.ts';
import type { JobProgressEvent } from '../queue/index.ts';
import { builder } from './builder.ts';

// Declared apart from their implementations so the type families can point at each other.
export const JobRef = builder.objectRef<JobRow>('Job');
export const ImageRef = builder.objectRef<ImageRow>('Image');
export const BatchRef = builder.objectRef<BatchRow>('Batch');
export const JobProgressRef = builder.objectRef<JobProgressEvent>('JobProgress');

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
