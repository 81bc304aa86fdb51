// The next round goes out with the parameters (loop.ts, Note [next round]): after each update
// but the last, every member gets the new parameters and its next assignment in one write,
// before onStep runs; the run still equals threads(2) bit for bit; a stop from onStep ends the
// run at that step; an onStep that throws ends the run and no deadline of the round already
// sent fires afterwards.
import t from 'tap';
import { core, fakeMember } from './testing/fakes.js';
import { reference } from './testing/peers.js';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

t.test('parameters and the next assignment leave in one write, before onStep', async (t) => {
  const seen: string[] = [];
  let members: ReturnType<typeof fakeMember>[] = [];
  const { core: c, model } = core({
    epochs: 2,
    minNodes: 2,
    onStep: ({ step }) => {
      const last = members.map((m) => m.writes.at(-1)?.join('+'));
      const frames = members[0].received.slice(-2).map((f) => `${f.kind} ${'step' in f ? f.step : ''}`);
      seen.push(`${step}: ${last.join(', ')} | ${frames.join(', ')}`);
    },
  });
  const run = c.loop.run();
  members = [fakeMember(c, 'fake-0'), fakeMember(c, 'fake-1')];
  const summary = await run;
  t.equal(summary.steps, 16);
  t.ok(bytes(model.params).equals(bytes(await reference(2, 2))), 'the parameters of threads(2)');
  t.equal(seen.length, 16);
  for (let step = 1; step < 16; step++) {
    t.equal(
      seen[step - 1],
      `${step}: parameters+assignment, parameters+assignment | parameters ${step}, assignment ${step + 1}`,
      `step ${step}: each member already has step ${step + 1}'s assignment`,
    );
  }
  t.equal(
    seen[15],
    '16: parameters, parameters | assignment 16, parameters 16',
    'the last step: parameters alone',
  );
  t.same(members[0].writes[0], ['welcome'], 'the first write is the welcome');
  t.same(members[0].writes[1], ['assignment'], 'the first step is assigned on its own');
});

t.test('a stop from onStep ends the run at that step', async (t) => {
  const { core: c } = core({
    epochs: 2,
    minNodes: 2,
    onStep: ({ step }) => {
      if (step === 3) c.loop.stop();
    },
  });
  const run = c.loop.run();
  const members = [fakeMember(c, 'fake-0'), fakeMember(c, 'fake-1')];
  const summary = await run;
  t.same(summary, { steps: 3, epochs: 2, loss: summary.loss, stopped: true, scavenges: 3 });
  t.equal(
    members[0].received.filter((f) => f.kind === 'assignment').at(-1)?.step,
    4,
    'step 4 had gone out with the parameters of step 3',
  );
});

t.test('an onStep that throws ends the run; the round sent before it has no deadline left', async (t) => {
  const deadline = 300;
  const { core: c } = core({
    epochs: 2,
    minNodes: 2,
    stepDeadlineMs: deadline,
    onStep: ({ step }) => {
      if (step === 2) throw new Error('onStep failed');
    },
  });
  const run = c.loop.run();
  // members that never answer step 3: only its deadline could end that round
  const silent = (f: { step: number }) => (f.step >= 3 ? [] : 'answer');
  fakeMember(c, 'fake-0', silent);
  fakeMember(c, 'fake-1', silent);
  await t.rejects(run, /onStep failed/);
  await new Promise((resolve) => setTimeout(resolve, deadline + 200));
  t.same(
    c.status().members.map((m) => m.nodeId),
    ['fake-0', 'fake-1'],
    'nobody was evicted for missing the deadline of step 3',
  );
});
