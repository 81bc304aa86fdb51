// A config's task, prepared: data split and materialised, model builder, compile options, scoring.
import type { ScheduleSpec } from '@recur/nn';
import type { Config } from '../config/schema.js';
import { prepareClassify } from './classify.js';
import type { PreparedTask } from './common.js';
import { prepareLanguageModel } from './language-model.js';
import { prepareSeries } from './series.js';
import { prepareTag } from './tag.js';

export type { Evaluation, PreparedTask, Score, Split } from './common.js';

/** The task of `config`, compiled with its training.schedule (every task alike). */
export async function prepareTask(config: Config): Promise<PreparedTask> {
  const task = await prepareOwn(config);
  const schedule = config.training.schedule;
  return schedule === undefined
    ? task
    : { ...task, compile: { ...task.compile, schedule: schedule as ScheduleSpec } };
}

function prepareOwn(config: Config): Promise<PreparedTask> {
  switch (config.task) {
    case 'forecast':
    case 'seq2seq':
      return prepareSeries(config);
    case 'classify':
      return prepareClassify(config);
    case 'tag':
      return prepareTag(config);
    case 'language-model':
      return prepareLanguageModel(config);
  }
}
