/** ErnieTokenizer on ERNIE 1.0's token<TAB>id vocabulary; ids checked against the file's lines. */
import * as fs from 'fs';
import * as path from 'path';
import { DATA_DIR, ErnieTokenizer } from '../../src/tokenizers';

const ids = new Map(
  fs
    .readFileSync(path.join(DATA_DIR, 'vocab-ernie-1.0-zh/vocab.txt'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => [l.split('\t')[0]!, Number(l.split('\t')[1])] as const),
);

describe('ErnieTokenizer (ernie-1.0)', () => {
  const tok = ErnieTokenizer.fromPretrained('ernie-1.0');

  it('reads the tab-separated vocabulary with its own special ids', () => {
    expect([tok.padTokenId, tok.clsTokenId, tok.sepTokenId, tok.maskTokenId, tok.unkTokenId]).toEqual([0, 1, 2, 3, 17963]);
    expect(tok.vocabSize).toBe(17964);
  });

  it('splits Chinese into characters, lower-cases Latin text and uses ERNIE ids', () => {
    const e = tok.encode('酒店装修一般，但还算整洁。Hello');
    const expected = ['酒', '店', '装', '修', '一', '般', '，', '但', '还', '算', '整', '洁', '。', 'hello'];
    expect(e.tokens).toEqual(['[CLS]', ...expected, '[SEP]']);
    expect(e.input_ids).toEqual([1, ...expected.map((t) => ids.get(t)), 2]);
  });

  it('encodes pairs with segment ids and offsets into each text', () => {
    const e = tok.encode('房间太小', '其他一般', { maxSeqLen: 8 });
    expect(e.tokens).toEqual(['[CLS]', '房', '间', '太', '[SEP]', '其', '他', '[SEP]']);
    expect(e.token_type_ids).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(e.offset_mapping.slice(5, 7)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});
