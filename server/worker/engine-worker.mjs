// Worker entry: the project runs TypeScript through tsx without a build, so register its loader in this thread first.
import { register } from 'tsx/esm/api';

register();
await import('./engine-worker.ts');
