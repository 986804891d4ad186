import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GdfoError } from '@gdfo/core';
import { loadExamples, parseDelimited, parseExamples } from './loaders.js';

const opts = { file: 'd.jsonl', classes: 2 };

describe('JSONL', () => {
  it('parses rows, generates ids from the file stem, keeps textB', () => {
    const text = '{"text": "a", "label": 0}\n\n{"text_a": "b", "text_b": "c", "label": 1}\n';
    expect(parseExamples(text, 'jsonl', opts)).toEqual([
      { id: 'd-0', text: 'a', label: 0 },
      { id: 'd-1', text: 'b', textB: 'c', label: 1 },
    ]);
  });

  it('uses an id field when present and rejects duplicates naming both lines', () => {
    const ok = parseExamples('{"id": 7, "text": "a", "label": 0}\n{"id": "x", "text": "b", "label": 1}', 'jsonl', opts);
    expect(ok.map((e) => e.id)).toEqual(['7', 'x']);
    expect(() => parseExamples('{"id": "a", "text": "x", "label": 0}\n{"id": "a", "text": "y", "label": 1}', 'jsonl', opts)).toThrow(
      'd.jsonl:2: field "id": duplicate id "a" (first on line 1)',
    );
  });

  it.each([
    ['{"text": "a", "label": 0}\n{"text": "b", label: 1}', 'd.jsonl:2: malformed JSON'],
    ['[1, 2]', 'd.jsonl:1: expected a JSON object, got an array'],
    ['{"label": 0}', 'd.jsonl:1: missing field "text" or "text_a"'],
    ['{"text": "a"}', 'd.jsonl:1: missing field "label" (expected an integer class id in 0..1)'],
    ['{"text": "a", "label": 2}', 'd.jsonl:1: field "label": expected an integer class id in 0..1, got 2'],
    ['{"text": "a", "label": -1}', 'd.jsonl:1: field "label": expected an integer class id in 0..1, got -1'],
    ['{"text": "a", "label": 0.5}', 'd.jsonl:1: field "label": expected an integer class id in 0..1, got 0.5'],
    ['{"text": "a", "label": true}', 'd.jsonl:1: field "label": expected an integer class id in 0..1, got true'],
    ['{"text": "   ", "label": 0}', 'd.jsonl:1: field "text": expected a non-empty string, got "   "'],
    ['{"text": 5, "label": 0}', 'd.jsonl:1: field "text": expected a non-empty string, got 5'],
  ])('rejects %s', (text, message) => {
    expect(() => parseExamples(text, 'jsonl', opts)).toThrow(message);
  });

  it('requires textB for a pair task and applies transform before the empty check', () => {
    expect(() => parseExamples('{"text": "a", "label": 0}', 'jsonl', { ...opts, pair: true })).toThrow(
      'd.jsonl:1: missing field "textB" or "text_b" or "sentence2" or "hypothesis"',
    );
    const ex = parseExamples('{"text": "  padded ", "label": 1}', 'jsonl', { ...opts, transform: (t) => t.trim() });
    expect(ex[0]?.text).toBe('padded');
    expect(() => parseExamples('{"text": "  ", "label": 1}', 'jsonl', { ...opts, transform: (t) => t.trim() })).toThrow(
      'expected a non-empty string',
    );
  });

  it('error messages are one line', () => {
    try {
      parseExamples('{"text": "a", "label": 0}\n{oops\n', 'jsonl', opts);
      throw new Error('no error');
    } catch (e) {
      expect((e as Error).message).toMatch(/^d\.jsonl:2: malformed JSON \(.+\); expected one JSON object per line$/);
      expect((e as Error).message).not.toContain('\n');
    }
  });
});

describe('RFC 4180 delimited text', () => {
  it('handles quotes, doubled quotes, delimiters and newlines inside quotes, CRLF, and line numbers', () => {
    const csv = 'text,label\r\n"hello, ""world""",1\r\n"two\nlines",0\r\nplain,1';
    const recs = parseDelimited(csv, 'x.csv', ',');
    expect(recs).toEqual([
      { line: 1, cells: ['text', 'label'] },
      { line: 2, cells: ['hello, "world"', '1'] },
      { line: 3, cells: ['two\nlines', '0'] },
      { line: 5, cells: ['plain', '1'] },
    ]);
    expect(parseExamples(csv, 'csv', { file: 'x.csv', classes: 2 })).toEqual([
      { id: 'x-0', text: 'hello, "world"', label: 1 },
      { id: 'x-1', text: 'two\nlines', label: 0 },
      { id: 'x-2', text: 'plain', label: 1 },
    ]);
  });

  it('keeps empty trailing cells and a quote inside an unquoted cell', () => {
    expect(parseDelimited('a,b,\nx"y,,z', 'f', ',')).toEqual([
      { line: 1, cells: ['a', 'b', ''] },
      { line: 2, cells: ['x"y', '', 'z'] },
    ]);
  });

  it('TSV with a header-less file and a label map (BBT-RGB style)', () => {
    const tsv = 'positive\t"a ""quoted"" tab\there"\nnegative\tplain text\n';
    const ex = parseExamples(tsv, 'tsv', {
      file: 't.tsv',
      classes: 2,
      header: ['label', 'sentence'],
      labelMap: { negative: 0, positive: 1 },
    });
    expect(ex).toEqual([
      { id: 't-0', text: 'a "quoted" tab\there', label: 1 },
      { id: 't-1', text: 'plain text', label: 0 },
    ]);
  });

  it.each([
    ['text,label\n"open,1\n', 'x.csv:2: unterminated quoted field'],
    ['text,label\n"a"b,1\n', 'x.csv:2: malformed quoting: expected a delimiter or line end after a closing quote, got "b"'],
    ['text,label\na,1,extra\n', 'x.csv:2: expected 2 fields (text, label), got 3'],
    ['text,label\na,one\n', 'x.csv:2: field "label": expected an integer class id in 0..1, got "one"'],
    ['text,label\n,1\n', 'x.csv:2: field "text": expected a non-empty string, got ""'],
    ['text,text\n', 'x.csv:1: header names column "text" twice'],
    ['', 'x.csv:1: expected a header row, the file is empty'],
  ])('rejects %j', (text, message) => {
    expect(() => parseExamples(text, 'csv', { file: 'x.csv', classes: 2 })).toThrow(message);
  });

  it('reports the start line of a multi-line record', () => {
    const csv = 'text,label\n"multi\nline\nrecord",7\n';
    expect(() => parseExamples(csv, 'csv', { file: 'm.csv', classes: 2 })).toThrow('m.csv:2: field "label"');
  });
});

describe('loadExamples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdfo-tasks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads by extension and names the path in errors', async () => {
    const p = join(dir, 'train.jsonl');
    writeFileSync(p, '{"text": "a", "label": 1}\n');
    expect(await loadExamples(p, { classes: 2 })).toEqual([{ id: 'train-0', text: 'a', label: 1 }]);
    const c = join(dir, 'dev.csv');
    writeFileSync(c, 'sentence,label\nfoo,3\n');
    await expect(loadExamples(c, { classes: 2 })).rejects.toThrow(`${c}:2: field "label": expected an integer class id in 0..1, got 3`);
  });

  it('one-line errors for a missing file and an unknown extension', async () => {
    await expect(loadExamples(join(dir, 'nope.jsonl'), { classes: 2 })).rejects.toThrow(`${join(dir, 'nope.jsonl')}: cannot read the file (ENOENT)`);
    await expect(loadExamples(join(dir, 'a.txt'), { classes: 2 })).rejects.toThrow('cannot tell the format from the extension');
  });
});

describe('error codes', () => {
  it('a bad row is BAD_DATA naming file:line; a bad option BAD_OPTION; a missing file NOT_FOUND', async () => {
    const bad = () => parseExamples('{"text": "a", "label": 0}\n{"text": "b", "label": 7}', 'jsonl', opts);
    expect(bad).toThrow(GdfoError);
    expect(bad).toThrow(
      expect.objectContaining({ code: 'BAD_DATA', message: 'd.jsonl:2: field "label": expected an integer class id in 0..1, got 7' }),
    );
    expect(() => parseExamples('{"text": "a", "label": 0}', 'jsonl', { ...opts, classes: 0 })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    await expect(loadExamples(join(tmpdir(), 'gdfo-no-such-dir', 'x.jsonl'), { classes: 2 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
