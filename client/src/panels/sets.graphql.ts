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
