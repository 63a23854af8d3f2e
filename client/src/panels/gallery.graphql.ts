import { gql } from '@urql/svelte';
import { IMAGE_FIELDS } from '../lib/documents.ts';

const BATCH_SUMMARY = gql`
  fragment BatchSummary on Batch {
    id
    setId
    theme
    seed
    createdAt
    finished
    totalJobs
    succeededJobs
    failedJobs
    cancelledJobs
  }
`;

export const BATCH_PAGE = gql`
  query BatchPage($first: Int!, $after: String) {
    batches(first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...BatchSummary
          cover: images(first: 1) {
            edges {
              node {
                id
                thumbnailUrl(width: 256)
              }
            }
          }
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
  ${BATCH_SUMMARY}
`;

/** Newest-first batch ids, for previous/next navigation. */
export const BATCH_IDS = gql`
  query BatchIds($first: Int!, $after: String) {
    batches(first: $first, after: $after) {
      edges {
        node {
          id
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
`;

export const BATCH_DETAIL = gql`
  query BatchDetail($id: ID!) {
    batch(id: $id) {
      ...BatchSummary
      directory
    }
  }
  ${BATCH_SUMMARY}
`;

export const BATCH_IMAGES = gql`
  query BatchImages($id: ID!, $first: Int!, $after: String) {
    batch(id: $id) {
      id
      images(first: $first, after: $after) {
        totalCount
        edges {
          node {
            ...ImageFields
          }
        }
        pageInfo {
          endCursor
          hasNextPage
        }
      }
    }
  }
  ${IMAGE_FIELDS}
`;

export const ALL_IMAGES = gql`
  query AllImages($first: Int!, $after: String) {
    images(first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...ImageFields
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
  ${IMAGE_FIELDS}
`;

export const IMAGE_ADDED = gql`
  subscription ImageAdded($batchId: ID) {
    imageAdded(batchId: $batchId) {
      ...ImageFields
      batch {
        id
      }
    }
  }
  ${IMAGE_FIELDS}
`;

export const BATCH_PROGRESS = gql`
  subscription BatchProgress($batchId: ID!) {
    batchProgress(batchId: $batchId) {
      ...BatchSummary
    }
  }
  ${BATCH_SUMMARY}
`;

export interface BatchSummary {
  id: string;
  setId: string;
  theme: string;
  seed: string;
  createdAt: string;
  finished: boolean;
  totalJobs: number;
  succeededJobs: number;
  failedJobs: number;
  cancelledJobs: number;
}

export interface BatchWithCover extends BatchSummary {
  cover: { edges: { node: { id: string; thumbnailUrl: string } }[] };
}
