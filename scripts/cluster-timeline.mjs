// The critical path of one cluster step, for scripts/bench-cluster.mjs: from absolute times that
// the coordinator (after each step's broadcast, with its StepTimings) and every node (after each
// gradient sent, with its cumulative NodeTimings) stamp, where a step's wall time goes between
// two coordinator steps. Absolute = performance.timeOrigin + performance.now(), comparable across
// the processes of one machine.
//
// Per step i (c = the coordinator's stamps; a node's start and end of compute are derived from its
// stamp and the growth of its computeMs and sendMs since its previous stamp):
//   startFirst, startLast   the first and the last node's start after the coordinator began
//                           to write step i-1's parameters, which go out with step i's
//                           assignment (@recur/cluster's Note [next round]): the writes to every
//                           node before it, the way to the node, its decode and apply
//   computeMax, spread      the slowest node's compute; slowest − fastest
//   sendMax                 the slowest encode + send of a gradient
//   arrive                  the last gradient sent → decoded on the coordinator (the transfer
//                           and the coordinator's receive and decode)
//   update, broadcast       the coordinator's StepTimings
//   step                    c[i] − c[i-1]

/** What a node stamps after each gradient it sends (NodeTimings are cumulative). */
export function nodeStamp(timings) {
  return {
    at: performance.timeOrigin + performance.now(),
    computeMs: timings.computeMs,
    sendMs: timings.sendMs,
  };
}

/** Now, comparable across processes. */
export const absoluteNow = () => performance.timeOrigin + performance.now();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[s.length >> 1];
};

/**
 * Medians over steps first … end−1 of the step's parts; null when a node's stamps do not pair
 * with the coordinator's one to one (a step was assigned again).
 * @param coordinator {{ at: number[], timings: StepTimings[] }}
 * @param nodes {Array<Array<{ at: number, computeMs: number, sendMs: number }>>}
 */
export function stepTimeline(coordinator, nodes, first) {
  const { at, timings } = coordinator;
  if (first < 1 || nodes.some((stamps) => stamps.length !== at.length)) return null;
  const rows = [];
  for (let i = first; i < at.length; i++) {
    const sentAt = at[i - 1] - timings[i - 1].broadcastMs; // the parameters' first write
    const spans = nodes.map((stamps) => {
      const compute = stamps[i].computeMs - stamps[i - 1].computeMs;
      const send = stamps[i].sendMs - stamps[i - 1].sendMs;
      const start = stamps[i].at - send - compute;
      return { start: start - sentAt, compute, send, sent: stamps[i].at };
    });
    const t = timings[i];
    const lastIn = at[i] - t.broadcastMs - t.updateMs;
    const computes = spans.map((s) => s.compute);
    rows.push({
      startFirst: Math.min(...spans.map((s) => s.start)),
      startLast: Math.max(...spans.map((s) => s.start)),
      computeMax: Math.max(...computes),
      spread: Math.max(...computes) - Math.min(...computes),
      sendMax: Math.max(...spans.map((s) => s.send)),
      arrive: lastIn - Math.max(...spans.map((s) => s.sent)),
      update: t.updateMs,
      broadcast: t.broadcastMs,
      step: at[i] - at[i - 1],
    });
  }
  return Object.fromEntries(Object.keys(rows[0] ?? {}).map((k) => [k, median(rows.map((r) => r[k]))]));
}

/** The columns, in order, with their headers. */
export const TIMELINE_COLUMNS = [
  ['startFirst', 'start 1st'],
  ['startLast', 'start last'],
  ['computeMax', 'compute max'],
  ['spread', 'spread'],
  ['sendMax', 'send'],
  ['arrive', 'arrive'],
  ['update', 'update'],
  ['broadcast', 'broadcast'],
  ['step', 'step'],
];
