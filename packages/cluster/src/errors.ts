// The error type of @recur/cluster and its registry of stable codes (listed in README.md). The
// codes the coordinator sends to a node in an Error frame are these or @recur/protocol's.

export const ClusterErrorCode = {
  /** an option of the coordinator or the node is wrong */
  BAD_OPTION: 'ERR_CLUSTER_BAD_OPTION',
  /** the first frame was not a Join with the right token */
  UNAUTHORIZED: 'ERR_CLUSTER_UNAUTHORIZED',
  /** no Join arrived within joinTimeoutMs */
  JOIN_TIMEOUT: 'ERR_CLUSTER_JOIN_TIMEOUT',
  /** the node's model has another layout hash than the coordinator's */
  LAYOUT_MISMATCH: 'ERR_CLUSTER_LAYOUT_MISMATCH',
  /** the node reads another data set (data hash) */
  DATA_MISMATCH: 'ERR_CLUSTER_DATA_MISMATCH',
  /** maxNodes are already members */
  FULL: 'ERR_CLUSTER_FULL',
  /** a gradient for a step or attempt that is not the current one (late or early) */
  STALE_STEP: 'ERR_CLUSTER_STALE_STEP',
  /** a second gradient for the same step and attempt */
  DUPLICATE_STEP: 'ERR_CLUSTER_DUPLICATE_STEP',
  /** a gradient from a node that has no part in this step, or a frame a node may not send */
  UNEXPECTED: 'ERR_CLUSTER_UNEXPECTED',
  /** evicted: no frame within heartbeatTimeoutMs, or no gradient by the step deadline */
  EVICTED: 'ERR_CLUSTER_EVICTED',
  /** fewer than minNodes joined within startTimeoutMs */
  NO_NODES: 'ERR_CLUSTER_NO_NODES',
  /** a node could not reach the coordinator within reconnectTimeoutMs */
  CONNECT_FAILED: 'ERR_CLUSTER_CONNECT_FAILED',
  /** the coordinator refused this node's Join (the message carries its code) */
  REFUSED: 'ERR_CLUSTER_REFUSED',
  /** the node's run hash (seed, optimizer, batch size, model, …) differs from the coordinator's */
  RUN_MISMATCH: 'ERR_CLUSTER_RUN_MISMATCH',
  /** a gradient's count or samples do not match the samples assigned to that node */
  BAD_COUNT: 'ERR_CLUSTER_BAD_COUNT',
  /** the sum of the gradients or the updated parameters are not finite: the step is refused */
  NON_FINITE: 'ERR_CLUSTER_NON_FINITE',
  /** maxPendingConnections connections are already waiting to join */
  TOO_MANY_PENDING: 'ERR_CLUSTER_TOO_MANY_PENDING',
  /** the coordinator cannot listen on its host and port (in use, not allowed) */
  LISTEN_FAILED: 'ERR_CLUSTER_LISTEN_FAILED',
  /** the node refused a frame from the coordinator (it cannot go on with stale parameters) */
  BAD_FRAME: 'ERR_CLUSTER_BAD_FRAME',
} as const;

export type ClusterErrorCodeValue = (typeof ClusterErrorCode)[keyof typeof ClusterErrorCode];

export class ClusterError extends Error {
  readonly code: string;

  constructor(code: ClusterErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterError';
    this.code = code;
  }
}

export function fail(code: ClusterErrorCodeValue, message: string, cause?: unknown): never {
  throw new ClusterError(code, message, cause === undefined ? undefined : { cause });
}
