import { gql } from '@urql/svelte';

const CONFIG_FIELDS = gql`
  fragment ConfigFields on Config {
    model
    device
    threads
    saveMetadata
    loraStrict
    updatable
    generation {
      width
      height
      steps
      guidanceScale
      negativePrompt
      scheduler
      rng
      numImages
      maxPixels
    }
  }
`;

export const CONFIG = gql`
  query ConfigView {
    config {
      ...ConfigFields
    }
    engine {
      schedulers
      rngs
    }
  }
  ${CONFIG_FIELDS}
`;

export const UPDATE_CONFIG = gql`
  mutation UpdateConfig($input: ConfigUpdateInput!) {
    updateConfig(input: $input) {
      ...ConfigFields
    }
  }
  ${CONFIG_FIELDS}
`;

export interface ConfigFields {
  model: string;
  device: string;
  threads: number;
  saveMetadata: boolean;
  loraStrict: boolean;
  updatable: boolean;
  generation: {
    width: number;
    height: number;
    steps: number;
    guidanceScale: number;
    negativePrompt: string;
    scheduler: string;
    rng: string;
    numImages: number;
    maxPixels: number;
  };
}
