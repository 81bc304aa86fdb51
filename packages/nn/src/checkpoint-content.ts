// What a checkpoint of a model holds: Model.save writes it with checkpoint.ts's file format, and
// persistence.ts's loadModel rebuilds the model from it (config, layout, parameters, optimizer
// state and step, the random generator's position, the epoch in progress).
import type { Model } from './base-model.js';
import type { CheckpointContent } from './checkpoint.js';
import { checkModelArgument } from './validate.js';

export interface SaveOptions {
  /** scalers, vocabularies: any plain JSON, returned by loadModel as `preprocessing` */
  preprocessing?: unknown;
}

/** What a checkpoint of `model` holds. */
export function checkpointOf(model: Model, preprocessing: unknown): CheckpointContent {
  checkModelArgument('checkpointOf', model);
  const compiled = model.compiled;
  const state = model.memory?.state ?? [];
  const position = model.trainingPosition;
  return {
    config: model.config(),
    layout: model.layout.rows.map(({ name, shape }) => ({ name, shape: [...shape] })),
    params: model.params,
    optimizer:
      compiled === null
        ? null
        : {
            kind: compiled.optimizer.kind,
            step: compiled.step,
            hyper: compiled.optimizer.hyper,
            state: state.length === compiled.optimizer.stateCount() ? state : [],
          },
    rng: { seed: model.trainingSeed, epoch: position.epoch, position: position.position },
    preprocessing,
    extra: {
      compile: model.compileSpec,
      ...(model.epochProgress === null ? {} : { epoch: { ...model.epochProgress } }),
      ...(compiled === null || compiled.lrScale === 1 ? {} : { lrScale: compiled.lrScale }),
    },
  };
}
