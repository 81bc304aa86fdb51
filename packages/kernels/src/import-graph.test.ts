// The package's modules import each other one way: no cycle in the graph of the imports that
// survive compilation (cells/ ← ops.ts ← the time loops ← reference.ts ← backend.ts). Each source
// file is compiled here with the package's own compiler options (verbatimModuleSyntax keeps an
// `import { type X }` as a real import, `import type` goes), so the graph is the one dist runs,
// without depending on a fresh build.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';

const srcDir = dirname(fileURLToPath(import.meta.url));
const packageDir = dirname(srcDir);

type Graph = Map<string, string[]>;

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(packageDir, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, packageDir).options;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** file (relative to src) → the package files its compiled JavaScript imports. */
function runtimeImports(files: string[], options: ts.CompilerOptions): Graph {
  const graph: Graph = new Map();
  for (const file of files) {
    const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file });
    const targets = ts
      .preProcessFile(js.outputText, true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => relative(srcDir, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
    graph.set(relative(srcDir, file), targets);
  }
  return graph;
}

/** The first import cycle found, as [a, b, …, a], or null when the graph has none. */
export function findCycle(graph: Graph): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== null) return cycle;
  }
  return null;
}

t.test('the cycle finder finds a cycle and passes a chain', async (t) => {
  const cyclic: Graph = new Map([
    ['lstm.ts', ['reference.ts']],
    ['reference.ts', ['ops.ts']],
    ['ops.ts', ['lstm.ts']],
  ]);
  t.same(findCycle(cyclic), ['lstm.ts', 'reference.ts', 'ops.ts', 'lstm.ts']);
  t.equal(
    findCycle(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', []],
      ]),
    ),
    null,
  );
});

t.test('no module of @recur/kernels imports itself through others', async (t) => {
  const graph = runtimeImports(sourceFiles(srcDir), compilerOptions());
  t.ok(graph.size > 20, `the graph covers the package (${graph.size} files)`);
  t.ok(graph.get('reference.ts')?.includes('lstm.ts'), 'reference.ts imports the time loops');
  const cycle = findCycle(graph);
  t.equal(cycle, null, cycle === null ? 'no cycle' : `import cycle: ${cycle.join(' → ')}`);
});

t.test('the cells import no time loop, no reference binding and no backend', async (t) => {
  const graph = runtimeImports(sourceFiles(join(srcDir, 'cells')), compilerOptions());
  for (const [file, imports] of graph) {
    t.same(
      imports.filter((i) => !['activations.ts', 'sequence.ts'].includes(i)),
      [],
      `${file} imports only leaves`,
    );
  }
});
