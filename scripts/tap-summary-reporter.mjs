// A tap reporter (loaded with `--reporter=./scripts/tap-summary-reporter.mjs`) that prints one line
// per test file, every failing test case with its diagnostics, and a closing line
// `N passed, N failed` that CI reads. A test case is one `t.test(...)` block (or a bare assertion at
// a file's top level); a file that crashes without reporting a failing case counts as one failure.
import { PassThrough } from 'node:stream';
import { Parser } from 'tap-parser';

const indentOf = (depth) => '  '.repeat(depth);

function describeFailure(result, depth, path) {
  const lines = [`${indentOf(depth)}not ok ${[...path, result.name].join(' > ')}`];
  if (result.diag) {
    for (const [key, value] of Object.entries(result.diag)) {
      if (key === 'stack' || key === 'at') continue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      lines.push(`${indentOf(depth + 2)}${key}: ${text.split('\n').join(`\n${indentOf(depth + 3)}`)}`);
    }
    if (result.diag.at) lines.push(`${indentOf(depth + 2)}at: ${JSON.stringify(result.diag.at)}`);
  }
  return lines.join('\n');
}

export default class SummaryReporter extends PassThrough {
  constructor() {
    super();
    this.passed = 0;
    this.failed = 0;
    this.out = [];
    this.parser = new Parser();
    this.failedCasesByFile = new Map();
    this.parser.on('child', (fileParser) => this.watchFile(fileParser));
    // Each file's own result arrives on the root parser.
    this.parser.on('assert', (result) => this.fileResult(result));
    this.parser.on('complete', (results) => {
      if (results.bailout) this.emitLine(`bailed out: ${results.bailout}`);
      this.emitLine('');
      this.emitLine(`${this.passed} passed, ${this.failed} failed`);
      this.push(null);
    });
  }

  watchFile(fileParser) {
    this.failedCasesByFile.set(fileParser.name, 0);
    fileParser.on('child', (caseParser) => this.watchNested(caseParser, [fileParser.name], 1));
    fileParser.on('assert', (result) => {
      if (result.ok) this.passed++;
      else {
        this.failed++;
        this.failedCasesByFile.set(fileParser.name, (this.failedCasesByFile.get(fileParser.name) ?? 0) + 1);
        this.emitLine(describeFailure(result, 1, [fileParser.name]));
      }
    });
  }

  fileResult(result) {
    const mark = result.ok ? 'ok' : 'not ok';
    const time = result.time ? ` (${Math.round(result.time)} ms)` : '';
    this.emitLine(`${mark} ${result.name}${time}`);
    if (!result.ok && (this.failedCasesByFile.get(result.name) ?? 0) === 0) {
      this.failed++;
      this.emitLine(describeFailure(result, 1, []));
    }
  }

  watchNested(parser, path, depth) {
    parser.on('child', (child) => this.watchNested(child, [...path, parser.name], depth + 1));
    parser.on('assert', (result) => {
      if (!result.ok) this.emitLine(describeFailure(result, depth + 1, [...path, parser.name]));
    });
  }

  emitLine(line) {
    this.out.push(line);
    super.write(`${line}\n`);
  }

  write(chunk, encoding, callback) {
    this.parser.write(chunk);
    if (typeof encoding === 'function') encoding();
    else if (typeof callback === 'function') callback();
    return true;
  }

  end(chunk, encoding, callback) {
    if (chunk && typeof chunk !== 'function') this.parser.write(chunk);
    this.parser.end();
    const done = [chunk, encoding, callback].find((x) => typeof x === 'function');
    if (done) done();
    return this;
  }
}
