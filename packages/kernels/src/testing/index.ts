// @recur/kernels/testing: helpers for the tests of this and the other packages — seeded test
// data, an elementwise closeness check, and a finite-difference gradient check. Not for
// production code.
export * from './arrays.js';
export * from './backends.js';
export * from './gradcheck.js';
