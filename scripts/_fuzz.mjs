const circ = {};
circ.self = circ;
const garbage = [undefined, null, 5n, -1, Number.NaN, 'x', {}, [], circ, () => 1];
const names = ['@recur/nn', '@recur/data', '@recur/kernels', '@recur/parallel', '@recur/protocol'];
const skip = new Set(['startCoordinator', 'runNode', 'useKernelBackend', 'installProtocolKernels', 'fit']);
const out = new Map();
for (const pkg of names) {
  const m = await import(pkg);
  for (const [name, f] of Object.entries(m)) {
    if (typeof f !== 'function' || skip.has(name) || /^[A-Z]/.test(name)) continue;
    for (const g of garbage) {
      for (const args of [[g], [g, g]]) {
        try {
          const r = f(...args);
          if (r && typeof r.then === 'function')
            await Promise.race([
              r,
              new Promise((_, rej) =>
                setTimeout(() => rej(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), 500),
              ),
            ]);
        } catch (e) {
          const code = e?.code;
          if (typeof code === 'string' && code.startsWith('ERR_') && !code.startsWith('ERR_INVALID_ARG'))
            continue;
          const key = `${pkg} ${name}`;
          if (!out.has(key))
            out.set(
              key,
              `${e?.name}: ${String(e?.message).slice(0, 90)} (arg ${typeof g === 'bigint' ? '5n' : g === circ ? 'circ' : (JSON.stringify(g) ?? String(g))}, ${args.length} args)`,
            );
        }
      }
    }
  }
}
for (const [k, v] of out) console.log(k, '->', v);
console.log(out.size, 'functions with uncoded errors');
