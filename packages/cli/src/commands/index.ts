// Every command of `recur`, one file each. To add one (coordinator, worker, bench), write
// commands/<name>.ts exporting a CliCommand and add it to this list.
import { bench } from './bench.js';
import type { CliCommand } from './command.js';
import { coordinator } from './coordinator.js';
import { data } from './data.js';
import { evaluate } from './eval.js';
import { generateCommand } from './generate.js';
import { predict } from './predict.js';
import { summary } from './summary.js';
import { train } from './train.js';
import { worker } from './worker.js';

export type { CliCommand, CommandContext } from './command.js';

export const commands: CliCommand[] = [
  train,
  evaluate,
  predict,
  generateCommand,
  summary,
  data,
  bench,
  coordinator,
  worker,
];
