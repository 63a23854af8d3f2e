import { gql } from '@urql/svelte';

export const GENERATE_OPTIONS = gql`
  query GenerateOptions {
    engine {
      model
      provider
      isDemo
      state
      schedulers
      rngs
      decoders
      error {
        code
        message
      }
    }
    config {
      generation {
        width
        height
        steps
        guidanceScale
        negativePrompt
        scheduler
        maxPixels
      }
    }
  }
`;

export const LORA_LIST = gql`
  query LoraList {
    loras {
      name
      baseModel
      compatible
      rank
      triggerWords
      previewUrl
      error {
        code
        message
      }
    }
  }
`;

export const PROMPT_TOKENS = gql`
  query PromptTokens($text: String!) {
    promptTokens(text: $text)
  }
`;

export interface LoraFile {
  name: string;
  baseModel: string;
  compatible: boolean;
  rank: number | null;
  triggerWords: string[];
  previewUrl: string | null;
  error: { code: string; message: string } | null;
}

export const GENERATE = gql`
  mutation Generate($input: GenerateInput!) {
    generate(input: $input) {
      jobs {
        id
        seed
        status
      }
    }
  }
`;

export interface GenerateOptions {
  engine: {
    model: string | null;
    provider: string | null;
    isDemo: boolean;
    state: string;
    schedulers: string[];
    rngs: string[];
    decoders: string[];
    error: { code: string; message: string } | null;
  };
  config: {
    generation: {
      width: number;
      height: number;
      steps: number;
      guidanceScale: number;
      negativePrompt: string;
      scheduler: string;
      maxPixels: number;
    };
  };
}
