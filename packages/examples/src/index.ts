// @recur/examples: the real data sets of the examples, configs and benchmarks, loaded in a line.
export * from './brown.js';
export * from './imdb.js';
export * from './paths.js';
export * from './series.js';
export * from './sotu-next-word.js';
export * from './text.js';
