import { GraphQLError } from 'graphql';
import { QueueError } from '../queue/index.ts';

/** Input the user can fix; `field` names the offending input field. */
export function badUserInput(field: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
}

export function notFound(what: string, id: string): GraphQLError {
  return new GraphQLError(`no ${what} with id ${id}`, { extensions: { code: 'NOT_FOUND' } });
}

/** Queue errors are written for the user; anything else is left to Yoga's masking. */
export function fromQueueError(error: unknown, id: string): unknown {
  if (!(error instanceof QueueError)) return error;
  if (error.code === 'NOT_FOUND') return notFound('job', id);
  return new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', field: 'id' } });
}

export async function mapQueueErrors<T>(id: string, action: () => T | Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw fromQueueError(error, id);
  }
}
