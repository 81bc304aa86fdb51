// Who may join: the checks a coordinator makes on a connection's first frame, in order. The
// token is compared in constant time; nothing else is looked at before it matches.
import type { Frame } from '@recur/protocol';
import { ClusterErrorCode } from './errors.js';
import { tokensEqual } from './wire.js';

export interface Admission {
  token: string;
  layoutHash: string;
  dataHash: string;
  /** the run hash (seed, optimizer, batch size, model, …: runHashOf) */
  runHash: string;
  /** maxNodes members already */
  full: boolean;
  maxNodes: number;
}

/** Why `frame` may not join ([code, message]), or null when it may. */
export function admissionRefusal(frame: Frame, a: Admission): [string, string] | null {
  if (frame.kind !== 'join' || !tokensEqual(frame.token, a.token)) {
    return [ClusterErrorCode.UNAUTHORIZED, 'the first frame must be a join with a valid token'];
  }
  if (frame.layoutHash !== a.layoutHash) {
    return [
      ClusterErrorCode.LAYOUT_MISMATCH,
      `node ${frame.nodeId}: its model's layout differs from the coordinator's`,
    ];
  }
  if (frame.dataHash !== a.dataHash) {
    return [ClusterErrorCode.DATA_MISMATCH, `node ${frame.nodeId}: it reads another data set (data hash)`];
  }
  if (frame.runHash !== a.runHash) {
    return [
      ClusterErrorCode.RUN_MISMATCH,
      `node ${frame.nodeId}: its run differs from the coordinator's (run hash: seed, optimizer, batch size, model, …)`,
    ];
  }
  if (a.full) return [ClusterErrorCode.FULL, `the cluster has maxNodes ${a.maxNodes} members`];
  return null;
}
