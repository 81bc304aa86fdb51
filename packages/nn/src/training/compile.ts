// compile(): what a model trains with — loss, optimizer, learning-rate schedule, metrics and
// gradient clipping — resolved and validated once, as Keras' model.compile.
import { fail, NnErrorCode } from '../errors.js';
import { knownKeys, numberInRange } from '../validate.js';
import { type LossName, resolveLoss } from './loss.js';
import { createMetric, type MetricName } from './metrics.js';
import { createOptimizer, type Optimizer, type OptimizerSpec } from './optimizers.js';
import { createSchedule, type Schedule, type ScheduleSpec } from './schedules.js';

export interface CompileOptions {
  loss: LossName;
  /** default 'adam' */
  optimizer?: OptimizerSpec;
  metrics?: MetricName[];
  /** clip the global gradient norm to this value (PyTorch clip_grad_norm_) */
  clipNorm?: number;
  /** learning-rate schedule over optimizer steps; default constant */
  schedule?: ScheduleSpec;
}

export interface Compiled {
  loss: LossName;
  optimizer: Optimizer;
  schedule: Schedule;
  scheduleSpec: ScheduleSpec | undefined;
  metrics: MetricName[];
  clipNorm: number | null;
  /** optimizer steps taken so far */
  step: number;
  /**
   * multiplies the schedule's learning rate (learningRate in update.ts); 1 unless a callback
   * (reduceLROnPlateau, FitRun.setLr) changed it. Travels in checkpoints.
   */
  lrScale: number;
}

export function compileOptions(options: CompileOptions): Compiled {
  if (typeof options !== 'object' || options === null)
    fail(NnErrorCode.BAD_OPTION, 'compile: give { loss, optimizer? }');
  knownKeys('compile', options, ['loss', 'optimizer', 'metrics', 'clipNorm', 'schedule']);
  const loss = resolveLoss(options.loss);
  const optimizer = createOptimizer(options.optimizer ?? 'adam');
  const metrics = options.metrics ?? [];
  if (!Array.isArray(metrics)) fail(NnErrorCode.BAD_OPTION, 'compile: metrics must be an array of names');
  for (const name of metrics) createMetric(name, loss);
  const clipNorm =
    options.clipNorm === undefined
      ? null
      : numberInRange('compile', 'clipNorm', options.clipNorm, 0, Number.POSITIVE_INFINITY, {
          minInclusive: false,
        });
  const lr = Number(optimizer.hyper.lr);
  return {
    loss,
    optimizer,
    schedule: createSchedule(options.schedule, lr),
    scheduleSpec: options.schedule,
    metrics,
    clipNorm,
    step: 0,
    lrScale: 1,
  };
}
