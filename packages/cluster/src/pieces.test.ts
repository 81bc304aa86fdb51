// Gradients in pieces at the coordinator (pieces.ts), through the roles with fake members: pieces
// in any order give bit for bit the parameters of whole gradients (threads(2)); a piece outside
// [0, P), one overlapping an earlier piece, one whose count (or loss sum, samples) differs from
// the first piece's, and a whole gradient after pieces are each refused with their code while the
// run goes on; a gradient still incomplete at the step deadline gets its member evicted, saying so.
import type { Frame } from '@recur/protocol';
import t from 'tap';
import { PieceStaging } from './pieces.js';
import { type Answer, core, fakeMember } from './testing/fakes.js';
import { type GradientFrame, reference } from './testing/peers.js';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The gradient as pieces [cut_k, cut_k+1), the last range first (as a node's buckets come). */
function pieces(g: GradientFrame, cuts: number[]): GradientFrame[] {
  const ends = [0, ...cuts, g.gradient.length];
  const out: GradientFrame[] = [];
  for (let k = ends.length - 2; k >= 0; k--)
    out.push({ ...g, offset: ends[k], gradient: g.gradient.slice(ends[k], ends[k + 1]) });
  return out;
}

const errors = (received: Frame[]) =>
  received.filter((f): f is Extract<Frame, { kind: 'error' }> => f.kind === 'error');

t.test('pieces in any order: bit for bit the parameters of whole gradients (threads(2))', async (t) => {
  const { core: c, model } = core({ epochs: 2, minNodes: 2 });
  const run = c.loop.run();
  let step = 0;
  const members = [0, 1].map((i) =>
    fakeMember(c, `pieces-${i}`, (_, gradient): Answer => {
      const g = gradient();
      const P = g.gradient.length;
      step += 1;
      // member 0: three pieces, top first; member 1: two pieces, bottom first, then the whole
      // gradient of odd steps as one frame (offset 0, P values) as today
      if (i === 0) return pieces(g, [5, Math.floor(P / 2)]);
      return step % 2 === 0 ? pieces(g, [P - 3]).reverse() : [g];
    }),
  );
  const summary = await run;
  t.equal(summary.steps, 16);
  t.ok(bytes(model.params).equals(bytes(await reference(2, 2))), 'the parameters of threads(2)');
  t.same(
    members.flatMap((m) => errors(m.received)),
    [],
    'nothing refused',
  );
});

/**
 * A run of one member whose first assignment is answered by `faulty(g)` (one frame refused, the
 * others completing the gradient), the next ones by three good pieces.
 */
async function refusedThenGood(faulty: (g: GradientFrame) => GradientFrame[]) {
  const { core: c, model } = core({ epochs: 1, minNodes: 1 });
  const run = c.loop.run();
  let first = true;
  const member = fakeMember(c, 'faulty', (_, gradient): Answer => {
    const g = gradient();
    if (!first) return pieces(g, [7, 100]);
    first = false;
    return faulty(g);
  });
  const summary = await run;
  return { summary, errors: errors(member.received), params: model.params };
}

/** The piece [start, end) of g (end: P when omitted). */
const piece = (g: GradientFrame, start: number, end?: number, change: Partial<GradientFrame> = {}) => ({
  ...g,
  ...change,
  offset: start,
  gradient: g.gradient.slice(start, end),
});

t.test('refusals of pieces, each with its code; the run goes on', async (t) => {
  const cases: [string, (g: GradientFrame) => GradientFrame[], string, RegExp][] = [
    [
      'a piece past P',
      (g) => [{ ...g, offset: g.gradient.length - 2, gradient: g.gradient.slice(0, 4) }, ...pieces(g, [7])],
      'ERR_CLUSTER_BAD_FRAME',
      /not a non-empty range/,
    ],
    [
      'an empty piece',
      (g) => [{ ...g, offset: 3, gradient: new Float32Array(0) }, ...pieces(g, [7])],
      'ERR_CLUSTER_BAD_FRAME',
      /range/,
    ],
    [
      'a piece overlapping an earlier one',
      (g) => [piece(g, 0, 4), piece(g, 3, 5), piece(g, 4)],
      'ERR_CLUSTER_DUPLICATE_STEP',
      /\[3, 5\) for step 1 overlaps the piece \[0, 4\)/,
    ],
    [
      'a count that differs from the first piece',
      (g) => [piece(g, 0, 2), piece(g, 2, 4, { count: g.count + 1 }), piece(g, 2)],
      'ERR_CLUSTER_BAD_COUNT',
      /count 13/, // here no other count is possible for 12 samples: see the staging's own test
    ],
    [
      'a loss sum that differs',
      (g) => [piece(g, 0, 2), piece(g, 2, 4, { lossSum: g.lossSum + 1 }), piece(g, 2)],
      'ERR_CLUSTER_BAD_COUNT',
      /lossSum/,
    ],
    [
      'a whole gradient after pieces',
      (g) => [piece(g, 0, 2), g, piece(g, 2)],
      'ERR_CLUSTER_DUPLICATE_STEP',
      /whole gradient for step 1 after pieces/,
    ],
  ];
  const clean = await refusedThenGood((g) => pieces(g, [7, 100]));
  t.same(clean.errors, [], 'the run with good pieces only');
  for (const [what, faulty, code, message] of cases) {
    const r = await refusedThenGood(faulty);
    t.match(r.errors, [{ code, message }], what);
    t.equal(r.errors.length, 1, `${what}: only that frame is refused`);
    t.equal(r.summary.steps, clean.summary.steps, `${what}: the run finished`);
    t.ok(bytes(r.params).equals(bytes(clean.params)), `${what}: the refused frame left nothing behind`);
  }
});

t.test('a gradient still incomplete at the step deadline: its member is evicted, saying so', async (t) => {
  const { core: c } = core({ epochs: 1, minNodes: 1, stepDeadlineMs: 300 });
  const run = c.loop.run();
  const partial = fakeMember(c, 'partial', (_, gradient): Answer => pieces(gradient(), [10]).slice(0, 1));
  fakeMember(c, 'whole');
  const summary = await run;
  t.equal(summary.steps, 8, 'the run finished with the other member');
  const P = partial.received.find((f) => f.kind === 'welcome') as Extract<Frame, { kind: 'welcome' }>;
  t.match(errors(partial.received), [
    {
      code: 'ERR_CLUSTER_EVICTED',
      message: new RegExp(
        `an incomplete gradient \\(pieces cover ${P.parameters.length - 10} of ${P.parameters.length} values\\) for step 1`,
      ),
    },
  ]);
});

t.test('the staging: pieces whose count or precision differ from the first piece are refused', (t) => {
  const g: GradientFrame = {
    kind: 'gradient',
    step: 3,
    attempt: 0,
    count: 40,
    lossSum: 2.5,
    samples: 4,
    precision: 'fp32',
    gradient: Float32Array.from({ length: 10 }, (_, i) => i + 0.5),
  };
  const staging = new PieceStaging(10);
  t.equal(staging.add(piece(g, 6)), null, 'the first piece is staged');
  t.match(staging.add(piece(g, 3, 6, { count: 41 })), [
    'ERR_CLUSTER_BAD_COUNT',
    /count 41 differs from the first piece's 40/,
  ]);
  t.match(staging.add(piece(g, 3, 6, { precision: 'fp16' })), [
    'ERR_CLUSTER_BAD_COUNT',
    /precision fp16 differs/,
  ]);
  t.match(staging.add(piece(g, 3, 6, { samples: 5 })), ['ERR_CLUSTER_BAD_COUNT', /samples 5 differs/]);
  t.equal(staging.coveredIn(3, 0), 4, 'refused pieces are not counted');
  const whole = staging.add(piece(g, 0, 6)) as GradientFrame;
  t.match(whole, { step: 3, count: 40, offset: 0 }, 'the pieces cover P: the whole gradient');
  t.same(Array.from(whole.gradient), Array.from(g.gradient), 'its values');
  t.equal(staging.coveredIn(3, 0), 10);
  const next = staging.add(piece(g, 0, 10, { step: 4 }));
  t.match(next, { step: 4, offset: 0 }, 'a new round starts afresh');
  t.same(Array.from((next as GradientFrame).gradient), Array.from(g.gradient));
  t.end();
});
