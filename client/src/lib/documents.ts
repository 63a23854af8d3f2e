import { gql } from '@urql/svelte';

/** Job fields every view shows (table row, progress card, lightbox metadata). */
export const JOB_FIELDS = gql`
  fragment JobFields on Job {
    id
    status
    prompt
    negativePrompt
    seed
    steps
    step
    totalSteps
    scheduler
    guidanceScale
    rng
    preset
    decoder
    width
    height
    error
    errorCode
    createdAt
    startedAt
    finishedAt
    loras {
      name
      weight
    }
    batch {
      id
      setId
    }
    image {
      id
      url
      thumbnailUrl(width: 128)
    }
  }
`;

export const IMAGE_FIELDS = gql`
  fragment ImageFields on Image {
    id
    url
    thumbnailUrl(width: 256)
    width
    height
    seed
    path
    createdAt
    job {
      ...JobFields
    }
  }
  ${JOB_FIELDS}
`;

export interface JobFields {
  id: string;
  status: import('./types.ts').JobStatus;
  prompt: string;
  negativePrompt: string;
  seed: string;
  steps: number;
  step: number;
  totalSteps: number;
  preset: 'STANDARD' | 'FAST_DRAFT';
  decoder: 'FULL' | 'TINY';
  scheduler: string;
  guidanceScale: number;
  rng: string;
  width: number;
  height: number;
  error: string | null;
  errorCode: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  loras: { name: string; weight: number }[];
  batch: { id: string; setId: string } | null;
  image: { id: string; url: string; thumbnailUrl: string } | null;
}

export interface ImageFields {
  id: string;
  url: string;
  thumbnailUrl: string;
  width: number;
  height: number;
  seed: string;
  path: string;
  createdAt: string;
  job: JobFields | null;
}
