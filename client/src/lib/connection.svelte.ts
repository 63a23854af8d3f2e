export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting';

/**
 * The live link to the server. `epoch` rises on every reconnect: views that show server state read it in an
 * effect and refetch, so they catch up on what they missed while the socket was down.
 */
export const connection = $state({ status: 'connecting' as ConnectionStatus, epoch: 0 });
