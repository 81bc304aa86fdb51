// @recur/cli: the `recur` command, and its pieces for programs that want them; see README.md.
export * from './commands/index.js';
export * from './config/load.js';
export * from './config/schema.js';
export * from './errors.js';
export { buildProgram, main, type RunOptions } from './program.js';
export { type RunPaths, runPaths } from './run/folder.js';
export { type TrainOptions, type TrainResult, trainRun } from './run/train.js';
export { prepareTask } from './tasks/index.js';
