/** Reading classification data: the three layouts, malformed lines, the held-out split. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataError, loadTaskData, readClassificationFile } from '../../src/data';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-nlp-data-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

describe('readClassificationFile', () => {
  it('reads GLUE SST-2 with its header', () => {
    const f = file('sst2.tsv', 'sentence\tlabel\nit is great \t1\nawful film\t0\n');
    const r = readClassificationFile(f, { format: 'glue', labels: ['0', '1'] });
    expect(r.examples.map((e) => [e.text, e.label])).toEqual([
      ['it is great', 1],
      ['awful film', 0],
    ]);
    expect(r.examples[1]!.source).toBe(`${f}:3`);
  });

  it('reads GLUE pair tasks by their column names', () => {
    const f = file('pairs.tsv', 'index\tsentence1\tsentence2\tlabel\n0\ta cat\ta dog\tnot_entailment\n');
    const r = readClassificationFile(f, { format: 'glue', labels: ['entailment', 'not_entailment'] });
    expect(r.examples[0]).toMatchObject({ text: 'a cat', textPair: 'a dog', label: 1 });
  });

  it('reads text<TAB>label and text,label (quoted texts, commas inside)', () => {
    expect(readClassificationFile(file('a.tsv', '房间太小\t0\r\n很好\t1\n'), { format: 'tsv', labels: ['0', '1'] }).examples.map((e) => e.text)).toEqual(['房间太小', '很好']);
    const csv = readClassificationFile(file('a.csv', 'good, really good,pos\n"bad, ""very"" bad",neg\n'), { format: 'csv', labels: ['neg', 'pos'] });
    expect(csv.examples.map((e) => [e.text, e.label])).toEqual([
      ['good, really good', 1],
      ['bad, "very" bad', 0],
    ]);
  });

  it('names the file, line and what was expected for a malformed line', () => {
    const f = file('bad.tsv', 'fine\t1\nno label here\nok\t1\n');
    expect(() => readClassificationFile(f, { format: 'tsv', labels: ['0', '1'] })).toThrow(`${f}:2: expected "text<TAB>label", got 1 field: "no label here"`);
    const g = file('badlabel.tsv', 'fine\t1\nhmm\t7\n');
    expect(() => readClassificationFile(g, { format: 'tsv', labels: ['0', '1'] })).toThrow(`${g}:2: label "7" is not one of the labels (0, 1)`);
    const h = file('noheader.tsv', 'it is great\t1\n');
    expect(() => readClassificationFile(h, { format: 'glue', labels: ['0', '1'] })).toThrow(/:1: expected a GLUE header/);
  });

  it('skips and counts malformed lines when asked', () => {
    const f = file('mixed.tsv', 'fine\t1\nno label\nhmm\t7\n\t1\nok\t0\n');
    const r = readClassificationFile(f, { format: 'tsv', labels: ['0', '1'], skipMalformed: true });
    expect(r.examples.map((e) => e.text)).toEqual(['fine', 'ok']);
    expect(r.skipped).toBe(3);
    expect(r.skippedReasons[0]).toContain(`${f}:2`);
  });
});

describe('loadTaskData', () => {
  it('holds out a seeded fifth of the shipped UCI sentences, the same every time', () => {
    const spec = { task_name: 'uci-sentiment', dev_split: 0.2, split_seed: 0, skip_malformed: false };
    const a = loadTaskData(spec);
    const b = loadTaskData(spec);
    expect([a.train.length, a.dev.length]).toEqual([2400, 600]);
    expect(a.dev.map((e) => e.source)).toEqual(b.dev.map((e) => e.source));
    const trainSources = new Set(a.train.map((e) => e.source));
    expect(a.dev.some((e) => trainSources.has(e.source))).toBe(false);
    // Both classes are represented in the held-out fifth.
    const pos = a.dev.filter((e) => e.label === 1).length;
    expect(pos).toBeGreaterThan(240);
    expect(pos).toBeLessThan(360);
  });

  it('needs data for tasks that ship none, and knows its task names', () => {
    expect(() => loadTaskData({ task_name: 'chnsenticorp', dev_split: 0.2, split_seed: 0, skip_malformed: false })).toThrow(/give --train_file/);
    expect(() => loadTaskData({ task_name: 'sst2', dev_split: 0.2, split_seed: 0, skip_malformed: false })).toThrow(DataError);
  });
});
