import { join } from 'node:path';

/** A hub repo id: `owner/name`. */
export const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** Where `models pull` puts a repo: `<cache>/owner--name` (`@revision` appended for other revisions than main). */
export function modelDirFor(cacheDir: string, repo: string, revision = 'main'): string {
  return join(cacheDir, `${repo.replace('/', '--')}${revision === 'main' ? '' : `@${revision.replace(/[^\w.-]/g, '_')}`}`);
}
