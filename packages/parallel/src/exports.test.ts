// The package's public surface (index.ts): what callers use is there; the control block's
// helpers, which take a ControlBlock the group built and check nothing, are not.
import t from 'tap';
import * as parallel from './index.js';

t.test('the public surface: threads, the group, buckets, the phases and the errors', (t) => {
  for (const name of [
    'threads',
    'resolveOptions',
    'THREADS_LIMITS',
    'ThreadGroup',
    'planBuckets',
    'checkBuckets',
    'chunkOf',
    'computeShare',
    'reduceChunk',
    'updateChunk',
    'ParallelError',
    'ParallelErrorCode',
  ]) {
    t.ok(name in parallel, `${name} is exported`);
  }
  t.end();
});

t.test('the control block and its helpers stay inside the package', (t) => {
  for (const name of [
    'controlBlock',
    'barrier',
    'waitWhile',
    'waitAsyncWhile',
    'finishStep',
    'abortAll',
    'stat',
    'setStat',
    'Field',
    'Stat',
    'BalancedShare',
    'claim',
    'resetClaims',
    'publishProgress',
    'progressReporter',
    'reduceBuckets',
    'fail',
  ]) {
    t.notOk(name in parallel, `${name} is not exported`);
  }
  t.end();
});
