/**
 * Hand-checked BERT tokenization on the real bert-base-uncased and bert-base-chinese vocabularies.
 * Expected pieces were derived by stepping through the reference algorithm (cleaning, CJK
 * splitting, lower-casing + NFD accent stripping, punctuation splitting, greedy longest-match
 * WordPiece) against the vocabulary files; ids are checked against the files' line numbers.
 * hf-reference.spec.ts compares with Hugging Face's own tokenizer on thousands of sentences.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BertTokenizer, DATA_DIR, TruncationError, Vocab } from '../../src/tokenizers';

const uncasedLines = fs.readFileSync(path.join(DATA_DIR, 'vocab-bert-base-uncased/vocab.txt'), 'utf8').split('\n');
const lineId = (token: string): number => uncasedLines.indexOf(token);

describe('BertTokenizer (bert-base-uncased)', () => {
  const tok = BertTokenizer.fromPretrained('bert-base-uncased');

  it('loads the 30522-token vocabulary with the usual special ids', () => {
    expect(tok.vocabSize).toBe(30522);
    expect([tok.padTokenId, tok.unkTokenId, tok.clsTokenId, tok.sepTokenId, tok.maskTokenId]).toEqual([0, 100, 101, 102, 103]);
  });

  it('splits punctuation and lower-cases', () => {
    expect(tok.tokenize('Hello, World!')).toEqual(['hello', ',', 'world', '!']);
    expect(tok.encode('Hello world').input_ids).toEqual([101, 7592, 2088, 102]);
    expect(tok.tokenize("don't")).toEqual(['don', "'", 't']);
  });

  it('treats every non-alphanumeric ASCII character as punctuation, symbols included', () => {
    expect(tok.tokenize('$5^`~a+b')).toEqual(['$', '5', '^', '`', '~', 'a', '+', 'b']);
    // U+00BF (¿) is category Po: punctuation; U+00A9 (©) is So: not split off.
    expect(tok.tokenize('¿que')).toEqual(['¿', 'que']);
  });

  it('strips accents after NFD and handles word-final sigma as Python lower() does', () => {
    expect(tok.tokenize('Héllo São João')).toEqual(['hello', 'sao', 'joao']);
    // A decomposed é (e + U+0301) gives the same as the composed one.
    expect(tok.tokenize('he\u0301llo')).toEqual(['hello']);
    const sigma = tok.tokenize('ΣΟΦΟΣ').join('').replace(/##/g, '');
    expect(sigma).toBe('σοφος');
  });

  it('drops control characters, NUL and U+FFFD, and maps whitespace to spaces', () => {
    expect(tok.tokenize('a\u0000b\ufffdc\u200bd')).toEqual(tok.tokenize('abcd'));
    expect(tok.tokenize('one\ttwo\nthree\u00a0four\u3000five')).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(tok.tokenize('\u0007\u001b')).toEqual([]);
  });

  it('uses greedy longest-match-first WordPiece with ## continuations', () => {
    const pieces = tok.tokenize('unaffable');
    expect(pieces).toEqual(['una', '##ffa', '##ble']);
    // Greedy: no longer prefix of the remaining characters is in the vocabulary.
    const word = 'unaffable';
    let at = 0;
    for (const p of pieces) {
      const body = p.replace(/^##/, '');
      for (let end = word.length; end > at + body.length; end--) {
        expect(tok.vocab.has((at ? '##' : '') + word.slice(at, end))).toBe(false);
      }
      at += body.length;
    }
    expect(tok.encode('unaffable').input_ids.slice(1, -1)).toEqual(pieces.map(lineId));
  });

  it('makes words longer than 100 characters, and unmatched ones, [UNK]', () => {
    expect(tok.tokenize('a'.repeat(100))).not.toContain('[UNK]');
    expect(tok.tokenize('a'.repeat(101))).toEqual(['[UNK]']);
    expect(tok.tokenize('ok 😀 ok')).toEqual(['ok', '[UNK]', 'ok']);
  });

  it('splits CJK ideographs one by one', () => {
    expect(tok.tokenize('ab中文cd')).toEqual(['ab', '中', '文', 'cd']);
  });

  it('keeps special tokens written in the text whole', () => {
    expect(tok.tokenize('[CLS] hi[SEP]there [MASK]')).toEqual(['[CLS]', 'hi', '[SEP]', 'there', '[MASK]']);
  });

  it('maps every piece back to its span of the text', () => {
    const text = 'Héllo, unaffable 中文 😀!';
    const e = tok.encode(text);
    const spans = e.offset_mapping.map(([s, t]) => text.slice(s, t));
    expect(e.tokens).toEqual(['[CLS]', 'hello', ',', 'una', '##ffa', '##ble', '中', '文', '[UNK]', '!', '[SEP]']);
    expect(spans).toEqual(['', 'Héllo', ',', 'una', 'ffa', 'ble', '中', '文', '😀', '!', '']);
  });

  it('encodes pairs with token types and truncates longest_first', () => {
    const e = tok.encode('hello there', 'general kenobi', { maxSeqLen: 7 });
    // general kenobi = general ken ##ob ##i (4 pieces) against 2: the longer text loses both pieces.
    expect(e.tokens).toEqual(['[CLS]', 'hello', 'there', '[SEP]', 'general', 'ken', '[SEP]']);
    expect(e.token_type_ids).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(e.num_truncated_tokens).toBe(2);
    // On a tie the second text loses first, then they alternate.
    const tie = tok.encode('a b c', 'd e f', { maxSeqLen: 6 });
    expect(tie.tokens).toEqual(['[CLS]', 'a', 'b', '[SEP]', 'd', '[SEP]']);
  });

  it('truncates only_first and only_second, and refuses what cannot be truncated', () => {
    expect(tok.encode('a b c d', 'e f', { maxSeqLen: 6, truncationStrategy: 'only_first' }).tokens).toEqual(['[CLS]', 'a', '[SEP]', 'e', 'f', '[SEP]']);
    expect(tok.encode('a b', 'c d e f', { maxSeqLen: 6, truncationStrategy: 'only_second' }).tokens).toEqual(['[CLS]', 'a', 'b', '[SEP]', 'c', '[SEP]']);
    expect(() => tok.encode('a', 'b c d e', { maxSeqLen: 5, truncationStrategy: 'only_first' })).toThrow(TruncationError);
    expect(() => tok.encode('a b c', null, { maxSeqLen: 4, truncationStrategy: 'do_not_truncate' })).toThrow(/more than the maximum length 4/);
    expect(tok.encode('a b c d e f', null, { maxSeqLen: 5 }).tokens).toEqual(['[CLS]', 'a', 'b', 'c', '[SEP]']);
  });

  it('pads single encodings and batches', () => {
    const e = tok.encode('hello', null, { maxSeqLen: 6, padToMaxSeqLen: true });
    expect(e.input_ids).toEqual([101, 7592, 102, 0, 0, 0]);
    expect(e.attention_mask).toEqual([1, 1, 1, 0, 0, 0]);
    expect(e.seq_len).toBe(3);
    const b = tok.batchEncode(['hello', ['hello world', 'again']], { padding: 'longest' });
    expect(b.map((x) => x.input_ids.length)).toEqual([6, 6]);
    expect(b[1]!.token_type_ids).toEqual([0, 0, 0, 0, 1, 1]);
    expect(b[0]!.attention_mask).toEqual([1, 1, 1, 0, 0, 0]);
    expect(tok.batchEncode(['a', 'b c'], { padding: 'max_length', maxSeqLen: 8 }).every((x) => x.input_ids.length === 8)).toBe(true);
  });

  it('decodes, gluing ## pieces and cleaning spaces before punctuation', () => {
    const ids = tok.encode("Unaffable, isn't it?").input_ids;
    expect(tok.decode(ids)).toBe("[CLS] unaffable, isn't it? [SEP]");
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("unaffable, isn't it?");
    expect(() => tok.decode([40000])).toThrow(/not in the vocabulary/);
  });
});

describe('BertTokenizer (bert-base-chinese)', () => {
  const tok = BertTokenizer.fromPretrained('bert-base-chinese');
  const lines = fs.readFileSync(path.join(DATA_DIR, 'vocab-bert-base-chinese/vocab.txt'), 'utf8').split('\n');

  it('splits Chinese into characters and keeps case (the vocabulary is cased)', () => {
    const e = tok.encode('我爱北京。Hello');
    expect(e.tokens).toEqual(['[CLS]', '我', '爱', '北', '京', '。', '[UNK]', '[SEP]']);
    expect(e.input_ids.slice(1, 6)).toEqual(['我', '爱', '北', '京', '。'].map((t) => lines.indexOf(t)));
    expect(tok.vocabSize).toBe(21128);
  });
});

describe('vocabulary files', () => {
  it('rejects a file in neither format, naming the line', () => {
    expect(() => Vocab.parse('a\nb\tc\n', 'v.txt')).toThrow(/v\.txt line 2 has a tab.*neither vocabulary format/);
    expect(() => Vocab.parse('a\t0\nb\n', 'v.txt')).toThrow(/v\.txt line 2 .*expected a "token<TAB>id" line/);
    expect(() => Vocab.parse('a\t0\nb\tx\n', 'v.txt')).toThrow(/line 2/);
    expect(() => Vocab.parse('a\n\nb\n', 'v.txt')).toThrow(/line 2 is blank/);
    expect(() => Vocab.parse('', 'v.txt')).toThrow(/empty/);
  });

  it('reads token<TAB>id files with their ids', () => {
    const v = Vocab.parse('[PAD]\t0\n[CLS]\t1\nx\t5\n');
    expect([v.id('[PAD]'), v.id('[CLS]'), v.id('x'), v.size, v.token(5)]).toEqual([0, 1, 5, 6, 'x']);
  });

  it('needs the special tokens', () => {
    expect(() => new BertTokenizer(Vocab.parse('[PAD]\n[UNK]\nhello\n'))).toThrow(/has no \[SEP\], \[CLS\], \[MASK\]/);
  });
});
