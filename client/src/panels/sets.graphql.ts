import { gql } from '@urql/svelte';

export const SET_LIST = gql`
  query SetList {
    sets {
      id
      name
      description
      itemCount
      exampleTheme
      width
      height
      items {
        index
        label
      }
      loras {
        name
        weight
      }
    }
    setLoadErrors {
      setId
      message
    }
  }
`;

export const SET_PREVIEW = gql`
  query SetPreview($id: ID!, $theme: String!, $seed: String) {
    set(id: $id) {
      id
      preview(theme: $theme, seed: $seed, limit: 1) {
        index
        label
        prompt
        negativePrompt
        width
        height
        seed
        tokenCount
        warnings
      }
    }
  }
`;

export interface ItemPrompt {
  index: number;
  label: string;
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  seed: string | null;
  tokenCount: number;
  warnings: string[];
}

export const RANDOM_THEME = gql`
  query RandomTheme($setId: ID) {
    randomTheme(setId: $setId)
  }
`;

export const GENERATE_BATCH = gql`
  mutation GenerateBatch($input: GenerateBatchInput!) {
    generateBatch(input: $input) {
      batch {
        id
      }
      warnings
    }
  }
`;

export interface CardSet {
  id: string;
  name: string;
  description: string;
  itemCount: number;
  exampleTheme: string | null;
  width: number;
  height: number;
  items: { index: number; label: string }[];
  loras: { name: string; weight: number }[];
}
