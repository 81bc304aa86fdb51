// Embedding: gather forward, scatter-add backward with repeated ids, finite differences.
import t from 'tap';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { randomArray, testRandom } from './testing/arrays.js';
import { dot, gradcheck } from './testing/gradcheck.js';

const V = 5;
const D = 3;

t.test('forward copies table rows by id', async (t) => {
  const table = randomArray(V * D, testRandom(1));
  const ids = Int32Array.from([4, 0, 4, 2]);
  const y = new Float32Array(ids.length * D);
  embeddingForward(y, ids, table, ids.length, D);
  for (let n = 0; n < ids.length; n++) {
    t.same(y.subarray(n * D, (n + 1) * D), table.subarray(ids[n] * D, (ids[n] + 1) * D), `row ${n}`);
  }
});

t.test('backward adds repeated ids up, leaves unused rows alone, and accumulates', async (t) => {
  const ids = Int32Array.from([1, 3, 1]);
  const dy = Float32Array.from([1, 2, 3, 10, 20, 30, 100, 200, 300]);
  const dTable = new Float32Array(V * D).fill(0.5);
  embeddingBackward(dTable, ids, dy, ids.length, D);
  t.same(
    Array.from(dTable),
    [0.5, 0.5, 0.5, 101.5, 202.5, 303.5, 0.5, 0.5, 0.5, 10.5, 20.5, 30.5, 0.5, 0.5, 0.5],
  );
});

t.test('backward matches finite differences of the table', async (t) => {
  const random = testRandom(2);
  const table = randomArray(V * D, random);
  const ids = Int32Array.from([0, 2, 2, 4, 1, 2]);
  const N = ids.length;
  const gy = randomArray(N * D, random);
  const y = new Float32Array(N * D);
  const loss = () => {
    embeddingForward(y, ids, table, N, D);
    return dot(y, gy);
  };
  const dTable = new Float32Array(V * D);
  embeddingBackward(dTable, ids, gy, N, D);
  const r = gradcheck(table, dTable, loss);
  t.ok(r.ok, r.message);
});
