import { gql } from '@urql/svelte';
import { JOB_FIELDS } from '../lib/documents.ts';

export const JOB_PAGE = gql`
  query JobPage($first: Int!, $after: String, $status: JobStatus, $batchId: ID) {
    jobs(first: $first, after: $after, status: $status, batchId: $batchId) {
      totalCount
      edges {
        cursor
        node {
          ...JobFields
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
  ${JOB_FIELDS}
`;

export const JOB_UPDATED = gql`
  subscription JobUpdated {
    jobUpdated {
      ...JobFields
    }
  }
  ${JOB_FIELDS}
`;

export const JOB_DELETED = gql`
  subscription JobDeleted {
    jobDeleted
  }
`;

export const CANCEL_JOB = gql`
  mutation CancelJob($id: ID!) {
    cancelJob(id: $id) {
      ...JobFields
    }
  }
  ${JOB_FIELDS}
`;

export const RETRY_JOB = gql`
  mutation RetryJob($id: ID!) {
    retryJob(id: $id) {
      ...JobFields
    }
  }
  ${JOB_FIELDS}
`;

export const DELETE_JOB = gql`
  mutation DeleteJob($id: ID!) {
    deleteJob(id: $id) {
      deletedId
    }
  }
`;
