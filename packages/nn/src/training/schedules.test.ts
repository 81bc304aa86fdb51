// Learning-rate schedules at chosen steps, against values computed by hand from the formulas in
// schedules.ts (which match torch's StepLR, ExponentialLR and CosineAnnealingLR), with and without
// warm-up; and the validation messages.
import t, { type Test } from 'tap';
import { NnErrorCode, RecurError } from '../errors.js';
import { createSchedule, resolveSchedule, type Schedule, type ScheduleSpec } from './schedules.js';

/** schedule(step) for each step, compared with expected within 1e-15 relative. */
function expectLrs(t: Test, schedule: Schedule, expected: Record<number, number>): void {
  for (const [step, lr] of Object.entries(expected)) {
    const got = schedule(Number(step));
    t.ok(Math.abs(got - lr) <= 1e-15 * Math.abs(lr), `step ${step}: got ${got}, expected ${lr}`);
  }
}

function expectError(t: Test, run: () => unknown, message: string): void {
  let error: unknown = null;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof RecurError, 'a RecurError');
  t.equal((error as RecurError).code, NnErrorCode.BAD_OPTION);
  t.equal((error as RecurError).message, message);
}

t.test('no schedule and constant keep the base lr', async (t) => {
  expectLrs(t, createSchedule(undefined, 0.1), { 1: 0.1, 1000: 0.1 });
  expectLrs(t, createSchedule({ kind: 'constant' }, 0.1), { 1: 0.1, 7: 0.1 });
});

t.test('step decay multiplies by gamma every stepSize steps (torch StepLR)', async (t) => {
  const schedule = createSchedule({ kind: 'step', stepSize: 3, gamma: 0.5 }, 0.1);
  expectLrs(t, schedule, { 1: 0.1, 3: 0.1, 4: 0.05, 6: 0.05, 7: 0.025, 10: 0.0125 });
  expectLrs(t, createSchedule({ kind: 'step', stepSize: 2 }, 1), { 2: 1, 3: 0.1, 5: 0.1 ** 2 });
});

t.test('exponential decay multiplies by gamma every step (torch ExponentialLR)', async (t) => {
  expectLrs(t, createSchedule({ kind: 'exponential', gamma: 0.9 }, 2), {
    1: 2,
    2: 1.8,
    3: 1.62,
    11: 2 * 0.9 ** 10,
  });
});

t.test('cosine anneals from lr to minLr over totalSteps, then holds', async (t) => {
  // lr(step) = 0.01 + 0.09 (1 + cos(π (step − 1) / 10)) / 2
  const schedule = createSchedule({ kind: 'cosine', totalSteps: 10, minLr: 0.01 }, 0.1);
  expectLrs(t, schedule, {
    1: 0.1,
    6: 0.055, // cos(π/2) = 0
    4: 0.08145033635316129, // 0.01 + 0.045 (1 + cos(3π/10)), cos 54° = 0.587785…
    11: 0.01,
    50: 0.01,
  });
  expectLrs(t, createSchedule({ kind: 'cosine', totalSteps: 4 }, 1), {
    1: 1,
    2: 0.5 + 0.5 * Math.SQRT1_2,
    3: 0.5,
  });
});

t.test('warm-up rises linearly to the base lr, then the schedule starts', async (t) => {
  expectLrs(t, createSchedule({ kind: 'constant', warmupSteps: 4 }, 0.2), {
    1: 0.05,
    2: 0.1,
    4: 0.2,
    5: 0.2,
  });
  const step = createSchedule({ kind: 'step', stepSize: 3, gamma: 0.5, warmupSteps: 2 }, 0.1);
  expectLrs(t, step, { 1: 0.05, 2: 0.1, 3: 0.1, 5: 0.1, 6: 0.05, 9: 0.025 });
});

t.test('cosine with warm-up anneals over totalSteps − warmupSteps', async (t) => {
  // T = 12 − 4 = 8: step 9 is s = 4, halfway
  const schedule = createSchedule({ kind: 'cosine', totalSteps: 12, minLr: 0.01, warmupSteps: 4 }, 0.1);
  expectLrs(t, schedule, { 1: 0.025, 4: 0.1, 5: 0.1, 9: 0.055, 13: 0.01, 100: 0.01 });
});

t.test('resolveSchedule fills in the defaults', async (t) => {
  t.same(resolveSchedule(undefined, 0.1), { kind: 'constant', warmupSteps: 0 });
  t.same(resolveSchedule({ kind: 'step', stepSize: 5 }, 0.1), {
    kind: 'step',
    warmupSteps: 0,
    stepSize: 5,
    gamma: 0.1,
  });
  t.same(resolveSchedule({ kind: 'cosine', totalSteps: 9, warmupSteps: 1 }, 0.1), {
    kind: 'cosine',
    warmupSteps: 1,
    totalSteps: 9,
    minLr: 0,
  });
});

t.test('bad kinds and shapes are rejected', async (t) => {
  expectError(
    t,
    () => createSchedule({ kind: 'linear' } as unknown as ScheduleSpec, 0.1),
    "schedule: kind must be one of 'constant', 'step', 'cosine', 'exponential', got 'linear'",
  );
  expectError(
    t,
    () => createSchedule('cosine' as unknown as ScheduleSpec, 0.1),
    "schedule must be an object { kind, ...options }, got 'cosine'",
  );
  expectError(
    t,
    () => createSchedule({ kind: 'step', stepSize: 2, totalSteps: 9 } as ScheduleSpec, 0.1),
    "schedule 'step': unknown option 'totalSteps' (known: kind, warmupSteps, stepSize, gamma)",
  );
});

t.test('out-of-range options name the option', async (t) => {
  expectError(
    t,
    () => createSchedule({ kind: 'step', stepSize: 0 }, 0.1),
    "schedule 'step': stepSize must be a positive integer, got 0",
  );
  expectError(
    t,
    () => createSchedule({ kind: 'exponential', gamma: 1.5 }, 0.1),
    "schedule 'exponential': gamma must be a number in (0, 1], got 1.5",
  );
  expectError(
    t,
    () => createSchedule({ kind: 'constant', warmupSteps: 2.5 }, 0.1),
    "schedule 'constant': warmupSteps must be a non-negative integer, got 2.5",
  );
  expectError(
    t,
    () => createSchedule({ kind: 'cosine', totalSteps: 10, minLr: 0.2 }, 0.1),
    "schedule 'cosine': minLr must be a number in [0, 0.1], got 0.2",
  );
});

t.test('cosine needs more steps than warm-up, and the base lr must be valid', async (t) => {
  expectError(
    t,
    () => createSchedule({ kind: 'cosine', totalSteps: 5, warmupSteps: 5 }, 0.1),
    "schedule 'cosine': totalSteps must be greater than warmupSteps, got totalSteps 5, warmupSteps 5",
  );
  expectError(
    t,
    () => createSchedule(undefined, -0.1),
    'schedule: base lr must be a number in [0, Infinity), got -0.1',
  );
});
