// scripts/cluster-timeline.mjs, the critical path of a cluster step that bench-cluster.mjs prints:
// from made-up stamps whose parts are known, each part comes out where it belongs.
import t from 'tap';

interface Stamp {
  at: number;
  computeMs: number;
  sendMs: number;
}
type Timeline = Record<string, number> | null;
interface TimelineModule {
  stepTimeline: (
    coordinator: { at: number[]; timings: { updateMs: number; broadcastMs: number }[] },
    nodes: Stamp[][],
    first: number,
  ) => Timeline;
}

// a path the compiler does not resolve: the script is plain JavaScript without declarations
const script = '../scripts/cluster-timeline.mjs';
const { stepTimeline } = (await import(script)) as TimelineModule;

t.test('two nodes: starts, compute and spread, send, arrive, update, broadcast, step', (t) => {
  // coordinator: steps end at 0, 20, 40; each step's update 1 ms and broadcast 2 ms
  const coordinator = { at: [0, 20, 40], timings: [0, 1, 2].map(() => ({ updateMs: 1, broadcastMs: 2 })) };
  // node A starts 1 ms after the coordinator's stamp, computes 10 ms, sends 1 ms: stamp at +12;
  // node B starts 2 ms after, computes 12 ms, sends 1 ms: stamp at +15. A start counts from the
  // parameters' first write, 2 ms (the broadcast) before the stamp: 3 and 4 ms.
  const node = (start: number, compute: number, send: number): Stamp[] =>
    [0, 1, 2].map((i) => ({
      at: (i === 0 ? 0 : coordinator.at[i - 1]!) + start + compute + send,
      computeMs: compute * (i + 1),
      sendMs: send * (i + 1),
    }));
  const timeline = stepTimeline(coordinator, [node(1, 10, 1), node(2, 12, 1)], 1);
  t.same(timeline, {
    startFirst: 3,
    startLast: 4,
    computeMax: 12,
    spread: 2,
    sendMax: 1,
    // the last gradient was sent at +15 and decoded at 20 − 2 − 1 = +17
    arrive: 2,
    update: 1,
    broadcast: 2,
    step: 20,
  });
  t.end();
});

t.test('stamps that do not pair with the coordinator’s (a step assigned again): no timeline', (t) => {
  const coordinator = { at: [0, 20], timings: [0, 1].map(() => ({ updateMs: 1, broadcastMs: 2 })) };
  const three = [0, 1, 2].map((i) => ({ at: i * 20, computeMs: i, sendMs: i }));
  t.equal(stepTimeline(coordinator, [three], 1), null);
  t.equal(stepTimeline(coordinator, [three.slice(0, 2)], 0), null, 'first must be ≥ 1');
  t.end();
});
