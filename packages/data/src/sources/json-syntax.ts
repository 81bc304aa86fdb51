// Where a JSON text goes wrong: the offset and a short reason for the first syntax error, so that
// json.ts can name the line and column. It runs only after JSON.parse has refused a text (whose
// messages carry no position on Node 20 for most errors). Iterative, so nesting depth cannot
// overflow the stack. Not a parser: it builds no values.

export interface JsonSyntaxError {
  offset: number; // code units into the text
  reason: string;
}

type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'after-value';

class At {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS = ['true', 'false', 'null'];

/** The first syntax error of `text`, or null if it is valid JSON. */
export function locateJsonError(text: string): JsonSyntaxError | null {
  try {
    scan(text);
    return null;
  } catch (err) {
    if (err instanceof At) return { offset: err.offset, reason: err.reason };
    throw err;
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function scan(text: string): void {
  const stack: string[] = []; // open '[' and '{'
  let expect: Expect = 'value';
  let i = 0;
  for (;;) {
    i = skipSpace(text, i);
    if (i >= text.length) {
      if (expect === 'after-value' && stack.length === 0) return;
      throw new At(i, 'unexpected end of input');
    }
    const c = text[i];
    const top = stack[stack.length - 1];
    switch (expect) {
      case 'value':
      case 'value-or-close':
        if (expect === 'value-or-close' && c === ']') {
          stack.pop();
          expect = 'after-value';
          i++;
        } else if (c === '[' || c === '{') {
          stack.push(c);
          expect = c === '[' ? 'value-or-close' : 'key-or-close';
          i++;
        } else {
          i = scanScalar(text, i);
          expect = 'after-value';
        }
        break;
      case 'key':
      case 'key-or-close':
        if (expect === 'key-or-close' && c === '}') {
          stack.pop();
          expect = 'after-value';
          i++;
        } else if (c === '"') {
          i = scanString(text, i);
          expect = 'colon';
        } else throw new At(i, `${shown(c)} where a property name in double quotes belongs`);
        break;
      case 'colon':
        if (c !== ':') throw new At(i, `${shown(c)} where ':' belongs`);
        expect = 'value';
        i++;
        break;
      case 'after-value':
        if (top === undefined) throw new At(i, `${shown(c)} after the end of the JSON value`);
        if (c === ',') expect = top === '[' ? 'value' : 'key';
        else if ((c === ']' && top === '[') || (c === '}' && top === '{')) stack.pop();
        else throw new At(i, `${shown(c)} where ',' or '${top === '[' ? ']' : '}'}' belongs`);
        i++;
        break;
    }
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function scanScalar(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return scanString(text, i);
  if (c === '-' || (c >= '0' && c <= '9')) {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) throw new At(i, 'a malformed number');
    return i + m[0].length;
  }
  for (const word of LITERALS) if (text.startsWith(word, i)) return i + word.length;
  throw new At(i, `${shown(c)} where a value belongs`);
}

function scanString(text: string, start: number): number {
  let j = start + 1;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) throw new At(j, 'a control character inside a string (escape it)');
    if (c === 0x5c) {
      const e = text[j + 1];
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) j += 6;
      else if (e !== undefined && '"\\/bfnrt'.includes(e)) j += 2;
      else throw new At(j, 'a bad escape sequence');
    } else j++;
  }
  throw new At(start, 'a string that is never closed');
}

function shown(c: string): string {
  return /[\x21-\x7e]/.test(c) ? `'${c}'` : `character U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
