import t from 'tap';
import { VERSION } from './index.js';

t.test('version', async (t) => {
  t.equal(VERSION, '0.1.0');
});
