// Learning-rate schedules: a validated spec becomes a function from the 1-based optimizer step to
// the learning rate that step uses (Optimizer.update takes it as `lr`).
//
// Is: constant, step decay, cosine annealing and exponential decay, each with an optional linear
// warm-up. Is not: anything that watches the loss (reduce-on-plateau), cyclic schedules or warm
// restarts. Every schedule counts OPTIMIZER STEPS (batches), not epochs: `stepSize`, `totalSteps`
// and `warmupSteps` are numbers of updates. (Keras' LearningRateScheduler callback is called per
// epoch; to decay per epoch, multiply by the steps per epoch.)
//
// Warm-up: for step ≤ warmupSteps, lr = baseLr · step / warmupSteps (the first update uses
// baseLr / warmupSteps, the last warm-up step baseLr); then the schedule runs as if it started at
// step warmupSteps + 1, i.e. with s = step − warmupSteps − 1 scheduler steps taken.
// Porting note: s is torch's `last_epoch` when scheduler.step() follows every optimizer.step()
// (so step 1 uses the base lr). Warm-up is the usual "linear warm-up, then the schedule" of
// Hugging Face's get_*_schedule_with_warmup, except that its first update runs at lr 0 (it uses
// (step − 1) / warmupSteps) and ours at baseLr / warmupSteps.
import { fail, NnErrorCode } from '../errors.js';
import {
  describe,
  knownKeys,
  nonNegativeInteger,
  numberInRange,
  oneOf,
  positiveInteger,
} from '../validate.js';

export type ScheduleKind = 'constant' | 'step' | 'cosine' | 'exponential';
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['constant', 'step', 'cosine', 'exponential'];

interface Warmup {
  /** linear warm-up from 0 over this many optimizer steps; default 0 */
  warmupSteps?: number;
}

export type ScheduleSpec = Warmup &
  (
    | { kind: 'constant' }
    /** lr · gamma^⌊s / stepSize⌋; gamma defaults to 0.1 (torch StepLR) */
    | { kind: 'step'; stepSize: number; gamma?: number }
    /** minLr + (lr − minLr)(1 + cos(π s / T)) / 2 with T = totalSteps − warmupSteps; minLr 0 */
    | { kind: 'cosine'; totalSteps: number; minLr?: number }
    /** lr · gamma^s */
    | { kind: 'exponential'; gamma: number }
  );

/** The spec with every default filled in (JSON-safe, for configs and checkpoints). */
export type ResolvedSchedule = Required<Warmup> &
  (
    | { kind: 'constant' }
    | { kind: 'step'; stepSize: number; gamma: number }
    | { kind: 'cosine'; totalSteps: number; minLr: number }
    | { kind: 'exponential'; gamma: number }
  );

/** The learning rate for a 1-based optimizer step (≥ 1). */
export type Schedule = (step: number) => number;

type Options = Record<string, unknown>;

const KEYS: Record<ScheduleKind, readonly string[]> = {
  constant: ['kind', 'warmupSteps'],
  step: ['kind', 'warmupSteps', 'stepSize', 'gamma'],
  cosine: ['kind', 'warmupSteps', 'totalSteps', 'minLr'],
  exponential: ['kind', 'warmupSteps', 'gamma'],
};

/** Validates `spec` (undefined: constant) against `baseLr` and fills in its defaults. */
export function resolveSchedule(spec: ScheduleSpec | undefined, baseLr: number): ResolvedSchedule {
  numberInRange('schedule', 'base lr', baseLr, 0, Number.POSITIVE_INFINITY, { maxInclusive: false });
  if (spec === undefined) return { kind: 'constant', warmupSteps: 0 };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    fail(NnErrorCode.BAD_OPTION, `schedule must be an object { kind, ...options }, got ${describe(spec)}`);
  }
  const options = spec as unknown as Options;
  const kind = oneOf('schedule', 'kind', options.kind, SCHEDULE_KINDS);
  const where = `schedule '${kind}'`;
  knownKeys(where, options, KEYS[kind]);
  const warmupSteps =
    options.warmupSteps === undefined ? 0 : nonNegativeInteger(where, 'warmupSteps', options.warmupSteps);
  if (kind === 'step') return { kind, warmupSteps, ...resolveStep(where, options) };
  if (kind === 'cosine') return { kind, warmupSteps, ...resolveCosine(where, options, baseLr, warmupSteps) };
  if (kind === 'exponential') return { kind, warmupSteps, gamma: decayFactor(where, 'gamma', options.gamma) };
  return { kind, warmupSteps };
}

/** The schedule function of `spec` (undefined: constant baseLr). Allocates nothing per call. */
export function createSchedule(spec: ScheduleSpec | undefined, baseLr: number): Schedule {
  const resolved = resolveSchedule(spec, baseLr);
  const after = afterWarmup(resolved, baseLr);
  const warmup = resolved.warmupSteps;
  if (warmup === 0) return (step) => after(step - 1);
  return (step) => (step <= warmup ? (baseLr * step) / warmup : after(step - warmup - 1));
}

/** A multiplicative decay in (0, 1]. */
function decayFactor(where: string, name: string, value: unknown): number {
  return numberInRange(where, name, value, 0, 1, { minInclusive: false });
}

function resolveStep(where: string, options: Options): { stepSize: number; gamma: number } {
  return {
    stepSize: positiveInteger(where, 'stepSize', options.stepSize),
    gamma: options.gamma === undefined ? 0.1 : decayFactor(where, 'gamma', options.gamma),
  };
}

function resolveCosine(
  where: string,
  options: Options,
  baseLr: number,
  warmupSteps: number,
): { totalSteps: number; minLr: number } {
  const totalSteps = positiveInteger(where, 'totalSteps', options.totalSteps);
  if (totalSteps <= warmupSteps) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: totalSteps must be greater than warmupSteps, got totalSteps ${totalSteps}, warmupSteps ${warmupSteps}`,
    );
  }
  const minLr = options.minLr === undefined ? 0 : numberInRange(where, 'minLr', options.minLr, 0, baseLr);
  return { totalSteps, minLr };
}

/**
 * The schedule proper as a function of s, the scheduler steps taken since warm-up (0 first).
 * Porting note: closed forms of torch's StepLR, ExponentialLR and CosineAnnealingLR (torch's
 * recursive form multiplies by gamma once per step, which can differ in the last bits). torch's
 * cosine rises again after T_max; ours holds minLr from s = T on.
 */
function afterWarmup(r: ResolvedSchedule, baseLr: number): (s: number) => number {
  switch (r.kind) {
    case 'constant':
      return () => baseLr;
    case 'step':
      return (s) => baseLr * r.gamma ** Math.floor(s / r.stepSize);
    case 'exponential':
      return (s) => baseLr * r.gamma ** s;
    case 'cosine': {
      const span = r.totalSteps - r.warmupSteps;
      const { minLr } = r;
      return (s) =>
        s >= span ? minLr : minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * s) / span))) / 2;
    }
  }
}
