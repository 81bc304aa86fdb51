// The RFC 4180 tokenizer under csv.ts: bytes in (any chunking), records of text fields out, each
// with the line it starts on. An explicit state machine over UTF-8 bytes, so a field limit is
// checked in bytes before more is buffered, and a multi-byte character split across chunks is
// decoded whole. It knows nothing of headers, column types or missing values (csv.ts does).
//
// Accepted: fields separated by one ASCII delimiter byte; records ended by LF or CRLF (the last
// one may lack it); quoted fields with "" for a quote and any bytes (delimiters, CR, LF) inside;
// a UTF-8 byte-order mark at the start (dropped); blank lines (skipped). A quote inside an
// unquoted field is kept as text (`5'10"` reads as written). Rejected with ERR_DATA_BAD_CSV:
// a character other than a delimiter or line end after a closing quote, and a quote still open
// at the end of the input. Limits (ERR_DATA_LIMIT_EXCEEDED): bytes in one field (after removing
// the enclosing quotes and undoubling ""), fields in one record.

import { DataErrorCode, fail } from '../errors.js';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

// Tokenizer states.
const State = {
  FieldStart: 0, // at the first byte of a field
  Unquoted: 1, // inside a field that did not start with a quote
  Quoted: 2, // inside a quoted field
  QuoteInQuoted: 3, // just after a quote inside a quoted field: "" or the closing quote
  CrAfterQuote: 4, // a CR after a closing quote: LF must follow
} as const;
type StateValue = (typeof State)[keyof typeof State];

/** One record: its fields and the line (1-based) it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

export interface CsvTokenizerLimits {
  maxFieldBytes: number;
  maxColumns: number;
}

export class CsvTokenizer {
  private state: StateValue = State.FieldStart;
  private line = 1; // the line of the byte being read
  private recordLine = 1; // the line the current record started on
  private quoteLine = 1; // the line the open quote is on
  private fields: string[] = [];
  private pieces: Buffer[] = []; // bytes of the current field from earlier chunks
  private pieceBytes = 0;
  private lastQuoted = false; // whether the field just ended was quoted
  private atStart = true; // before the first three bytes (which may be a byte-order mark)
  private head: Buffer | null = null; // the first bytes, while fewer than three have come
  private text = ''; // the chunk being read as latin1 (one character per byte), for fieldText

  constructor(
    private readonly file: string,
    private readonly delimiter: number,
    private readonly limits: CsvTokenizerLimits,
  ) {}

  /** Reads `chunk`, appending every record it completes to `out`. */
  push(chunk: Buffer, out: CsvRecord[]): void {
    if (!this.atStart) {
      this.read(chunk, 0, out);
      return;
    }
    const head = this.head === null ? Buffer.from(chunk) : Buffer.concat([this.head, chunk]);
    if (head.length < 3) {
      this.head = head; // too short to tell whether it starts with a byte-order mark
      return;
    }
    this.head = null;
    this.atStart = false;
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    this.read(head, bom ? 3 : 0, out);
  }

  private read(chunk: Buffer, from: number, out: CsvRecord[]): void {
    let i = from;
    this.text = chunk.toString('latin1');
    let start = i; // where the current field's bytes begin in this chunk
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case State.FieldStart:
          if (chunk[i] === QUOTE) {
            this.state = State.Quoted;
            this.quoteLine = this.line;
            i++;
          } else {
            this.state = State.Unquoted;
          }
          start = i;
          break;
        case State.Unquoted:
          i = this.scanUnquoted(chunk, start, i, out);
          break;
        case State.Quoted:
          i = this.scanQuoted(chunk, start, i, out);
          break;
        case State.QuoteInQuoted:
          start = i;
          i = this.afterQuote(chunk, i, out);
          break;
        case State.CrAfterQuote:
          if (chunk[i] !== LF) this.badAfterQuote(chunk[i]);
          this.endField(this.takePieces(null, 0, 0, false), true);
          this.endRecord(out);
          i++;
          break;
      }
    }
    if (this.state === State.Unquoted || this.state === State.Quoted) this.keep(chunk, start, n);
    this.text = '';
  }

  /** Ends the input: the last record may lack its line end; an open quote is an error. */
  end(out: CsvRecord[]): void {
    if (this.head !== null) {
      this.atStart = false;
      this.read(this.head, 0, out); // a whole input of one or two bytes
      this.head = null;
    }
    switch (this.state) {
      case State.Quoted:
        fail(
          DataErrorCode.BAD_CSV,
          `${this.file}:${this.quoteLine}: unterminated quoted field (the quote opened on this line is never closed)`,
        );
        break;
      case State.Unquoted:
        this.endField(this.takePieces(null, 0, 0, true), false);
        this.endRecord(out);
        break;
      case State.QuoteInQuoted:
      case State.CrAfterQuote:
        this.endField(this.takePieces(null, 0, 0, false), true);
        this.endRecord(out);
        break;
      case State.FieldStart:
        if (this.fields.length > 0) {
          this.endField('', false); // `a,b,` then end of input: a last empty field
          this.endRecord(out);
        }
        break;
    }
  }

  /** Scans an unquoted field from i; on its end, stores it (and the record on LF). */
  private scanUnquoted(chunk: Buffer, start: number, i: number, out: CsvRecord[]): number {
    const d = this.delimiter;
    const n = chunk.length;
    let j = i;
    let high = 0; // OR of the bytes: >= 0x80 if any is not ASCII
    for (; j < n; j++) {
      const b = chunk[j];
      if (b === d || b === LF) break;
      high |= b;
    }
    if (j === n) return n; // push() keeps [start, n)
    const isLineEnd = chunk[j] === LF;
    if (this.pieces.length > 0) this.endField(this.takePieces(chunk, start, j, isLineEnd), false);
    else {
      const end = isLineEnd && j > start && chunk[j - 1] === CR ? j - 1 : j;
      this.endField(this.fieldText(chunk, start, end, high), false);
    }
    if (isLineEnd) this.endRecord(out);
    return j + 1;
  }

  /**
   * Scans a quoted field from i up to a quote or the chunk's end. A closing quote followed by a
   * delimiter or LF in this chunk ends the field at once; otherwise the bytes so far are kept and
   * the byte after the quote decides (afterQuote).
   */
  private scanQuoted(chunk: Buffer, start: number, i: number, out: CsvRecord[]): number {
    const n = chunk.length;
    let j = i;
    let high = 0;
    for (; j < n; j++) {
      const b = chunk[j];
      if (b === QUOTE) break;
      if (b === LF) this.line++;
      high |= b;
    }
    if (j === n) return n; // push() keeps [start, n)
    const next = j + 1 < n ? chunk[j + 1] : QUOTE;
    if (this.pieces.length === 0 && (next === this.delimiter || next === LF)) {
      this.endField(this.fieldText(chunk, start, j, high), true);
      if (next === LF) this.endRecord(out);
      return j + 2;
    }
    this.keep(chunk, start, j);
    this.state = State.QuoteInQuoted;
    return j + 1;
  }

  /** The byte after a quote inside a quoted field: "" goes on, anything else ends the field. */
  private afterQuote(chunk: Buffer, i: number, out: CsvRecord[]): number {
    const b = chunk[i];
    if (b === QUOTE) {
      this.state = State.Quoted; // the second quote is text: it starts the next stored run
      return i + 1;
    }
    if (b === CR) {
      this.state = State.CrAfterQuote;
      return i + 1;
    }
    if (b !== this.delimiter && b !== LF) this.badAfterQuote(b);
    this.endField(this.takePieces(null, 0, 0, false), true);
    if (b === LF) this.endRecord(out);
    return i + 1;
  }

  private badAfterQuote(b: number): never {
    const shown = b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16)}`;
    fail(
      DataErrorCode.BAD_CSV,
      `${this.file}:${this.line}: ${shown} after a closing quote (a quoted field must end at a delimiter or line end; write "" for a quote inside it)`,
    );
  }

  /**
   * The text of a whole field chunk[start, end). A short ASCII field is cut from the chunk's
   * latin1 copy, several times faster than decoding it (V8 copies substrings shorter than 13
   * characters, so no field keeps a chunk alive); others are decoded as UTF-8.
   */
  private fieldText(chunk: Buffer, start: number, end: number, high: number): string {
    this.checkFieldBytes(end - start, 0);
    if (high < 0x80 && end - start < 13) return this.text.substring(start, end);
    return chunk.toString('utf8', start, end);
  }

  /** Keeps chunk[start, end) as part of the current field, checking the field limit first. */
  private keep(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    // +1: an unquoted field's last byte may be a CR that the LF after it will strip.
    this.checkFieldBytes(this.pieceBytes + (end - start), this.state === State.Unquoted ? 1 : 0);
    this.pieces.push(Buffer.from(chunk.subarray(start, end))); // a copy: the chunk is not ours
    this.pieceBytes += end - start;
  }

  /** The current field's text: kept pieces plus chunk[start, end), without a CR before LF. */
  private takePieces(chunk: Buffer | null, start: number, end: number, stripCr: boolean): string {
    let bytes: Buffer;
    if (this.pieces.length === 0 && chunk !== null) bytes = chunk.subarray(start, end);
    else {
      if (chunk !== null && end > start) this.pieces.push(chunk.subarray(start, end));
      bytes = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces);
    }
    if (stripCr && bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    this.checkFieldBytes(bytes.length, 0);
    this.pieces = [];
    this.pieceBytes = 0;
    return bytes.toString('utf8');
  }

  private checkFieldBytes(bytes: number, slack: number): void {
    if (bytes > this.limits.maxFieldBytes + slack) {
      fail(
        DataErrorCode.LIMIT_EXCEEDED,
        `${this.file}:${this.recordLine}: a field is longer than ${this.limits.maxFieldBytes} bytes (CSV_MAX_FIELD_BYTES; options.maxFieldBytes raises it)`,
      );
    }
  }

  private endField(text: string, quoted: boolean): void {
    if (this.fields.length === this.limits.maxColumns) {
      fail(
        DataErrorCode.LIMIT_EXCEEDED,
        `${this.file}:${this.recordLine}: more than ${this.limits.maxColumns} fields in a record (CSV_MAX_COLUMNS; options.maxColumns raises it)`,
      );
    }
    this.fields.push(text);
    this.lastQuoted = quoted;
    this.state = State.FieldStart;
  }

  /** Emits the record (unless the line was blank) and moves to the next line. */
  private endRecord(out: CsvRecord[]): void {
    const blank = this.fields.length === 1 && this.fields[0] === '' && !this.lastQuoted;
    if (!blank) out.push({ fields: this.fields, line: this.recordLine });
    this.fields = [];
    this.line++;
    this.recordLine = this.line;
  }
}
