// Caches, workspaces and state buffers sized for the largest batch and sequence (as the arena
// sizes them once) give exactly the results of exact-size buffers on a smaller batch, on every backend.
import t from 'tap';
import type { SequenceDims } from './sequence.js';
import { testRandom } from './testing/arrays.js';
import { testBackends } from './testing/backends.js';
import { CELL_KINDS, makeProblem, makeRunner, zeroGrads } from './testing/recurrent-harness.js';

const small: SequenceDims = { T: 4, B: 3, I: 2, H: 5, reverse: false, lengths: Int32Array.from([4, 2, 3]) };
const large: SequenceDims = { ...small, T: 7, B: 6, lengths: null };

for (const backend of testBackends())
  for (const kind of CELL_KINDS) {
    for (const reverse of [false, true]) {
      t.test(
        `[${backend.name}] ${kind}${reverse ? ' reversed' : ''}: oversized buffers change nothing`,
        async (t) => {
          backend.fresh();
          const randomArray = (n: number, r: () => number) => backend.random(n, r);
          const dims = { ...small, reverse };
          const exact = makeProblem(kind, dims, testRandom(3), backend);
          const roomy = makeProblem(kind, dims, testRandom(3), backend);
          // Longer state and output buffers, filled with garbage past the batch's rows.
          roomy.hT = randomArray(large.B * dims.H, testRandom(9));
          roomy.cT = randomArray(large.B * dims.H, testRandom(10));
          roomy.y = randomArray(large.T * large.B * dims.H, testRandom(11));
          makeRunner(kind, dims, backend).forward(exact);
          const roomyRunner = makeRunner(kind, large, backend);
          roomyRunner.forward(roomy);
          const n = dims.B * dims.H;
          t.same([...roomy.hT.subarray(0, n)], [...exact.hT], 'final states agree');
          t.same([...roomy.y.subarray(0, exact.y.length)], [...exact.y], 'outputs agree');
          const dy = randomArray(exact.y.length, testRandom(5));
          const grads = [zeroGrads(exact.w, backend), zeroGrads(roomy.w, backend)];
          const dx = [backend.allocate(exact.x.length), backend.allocate(exact.x.length)];
          const dh0 = [backend.allocate(n), backend.allocate(n)];
          const dc0 = [backend.allocate(n), backend.allocate(n)];
          const exactRunner = makeRunner(kind, dims, backend);
          exactRunner.forward(exact);
          exactRunner.backward(exact, dx[0], dh0[0], dc0[0], grads[0], dy, 'all', null, null);
          roomyRunner.forward(roomy);
          roomyRunner.backward(roomy, dx[1], dh0[1], dc0[1], grads[1], dy, 'all', null, null);
          t.same([...grads[1].dWHh], [...grads[0].dWHh], 'weight gradients agree');
          t.same([...dx[1]], [...dx[0]], 'input gradients agree');
        },
      );
    }
  }
