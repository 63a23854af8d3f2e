export { modelDirFor, REPO_ID } from './paths.ts';
export { pullModel, type PullOptions, type PullProgress, type PullResult } from './pull.ts';
export { listLocalModels, importModel, missingExportFiles, type LocalModel } from './local.ts';
export { HubError, type HubErrorCode } from './errors.ts';
