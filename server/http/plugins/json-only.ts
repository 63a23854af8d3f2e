import type { Plugin } from 'graphql-yoga';

/** Media types a browser can only send after a CORS preflight (unlike form posts and text/plain). */
const JSON_TYPES = new Set(['application/json', 'application/graphql-response+json', 'application/graphql+json']);

/**
 * CSRF: a GraphQL POST must be JSON. Form posts (urlencoded, multipart, text/plain) need no preflight, so a page
 * of another site could send them with the browser's cookie; they are refused with 415 before anything runs.
 * GET cannot run mutations (Yoga refuses them), so GET queries from the client stay as they are.
 */
export function jsonOnlyPostsPlugin(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== 'POST') return;
      const mediaType = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (JSON_TYPES.has(mediaType)) return;
      const body = JSON.stringify({ errors: [{ message: 'GraphQL POST requests must be application/json', extensions: { code: 'BAD_REQUEST' } }] });
      endResponse(new fetchAPI.Response(body, { status: 415, headers: { 'content-type': 'application/json' } }));
    },
  };
}
