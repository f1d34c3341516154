/**
 * Reference tokenizations for @oar/nlp's BertTokenizer and ErnieTokenizer, made with Hugging
 * Face's own implementation: the Rust `tokenizers` library through its Node binding, set up as
 * transformers' BertTokenizerFast sets it up (BertNormalizer with clean_text, handle_chinese_chars,
 * strip_accents and lowercase per vocabulary; BertPreTokenizer; WordPiece with [UNK], `##` and
 * max_input_chars_per_word 100; BertProcessing with [CLS]/[SEP]; the five special tokens added as
 * special tokens, so "[SEP]" written in a text stays whole).
 *
 * Writes packages/nlp/test/fixtures/tokenizers/hf-<vocabulary>.json.gz, read by
 * packages/nlp/test/tokenizers/hf-reference.spec.ts. The fixtures are committed: tests and CI
 * never need `tokenizers`. It is installed out of the tree, on purpose not in any package.json:
 *
 *   npm install --prefix /tmp/hf-tokenizers tokenizers@0.23.2
 *   HF_TOKENIZERS=/tmp/hf-tokenizers/node_modules/tokenizers npx tsx tools/nlp/make_tokenizer_fixtures.ts [chnsenticorp_train.tsv]
 *
 * (HF_TOKENIZERS defaults to that path; the Chinese source defaults to
 * /work/shared/data/chnsenticorp/train.tsv.) Inputs: every sentence of the UCI Sentiment Labelled
 * Sentences shipped in packages/nlp/data, a fixed sample of ChnSentiCorp reviews (copied into the
 * fixtures, see test/fixtures/tokenizers/SOURCE.txt), and the hand-written edge cases below
 * (emoji, accents, control characters, very long words, whitespace oddities, CJK mixed with Latin,
 * special tokens in the text); pairs, and truncation with longest_first / only_first / only_second.
 *
 * Offsets are stored as the binding returns them: in code points (Unicode scalar values) of the
 * input, not UTF-16 units; the spec converts.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

const ROOT = path.resolve(__dirname, '../..');
const DATA = path.join(ROOT, 'packages/nlp/data');
const OUT = path.join(ROOT, 'packages/nlp/test/fixtures/tokenizers');
const HF_PATH = process.env.HF_TOKENIZERS ?? '/tmp/hf-tokenizers/node_modules/tokenizers';
const CHN_SOURCE = process.argv[2] ?? '/work/shared/data/chnsenticorp/train.tsv';
const HF_VERSION = '0.23.2';

// The slice of the binding's API used here (it ships its own index.d.ts, but is not a dependency).
interface HfEncoding {
  getIds(): number[];
  getTokens(): string[];
  getTypeIds(): number[];
  getOffsets(): number[][];
}
interface HfTokenizer {
  setNormalizer(n: unknown): void;
  setPreTokenizer(p: unknown): void;
  setPostProcessor(p: unknown): void;
  addSpecialTokens(tokens: string[]): void;
  setTruncation(maxLength: number, options?: { strategy?: string }): void;
  disableTruncation(): void;
  encode(text: string, pair?: string | null): Promise<HfEncoding>;
}
interface HfModule {
  Tokenizer: new (model: unknown) => HfTokenizer;
  WordPiece: { init(vocab: Record<string, number>, o: { unkToken: string; continuingSubwordPrefix: string; maxInputCharsPerWord: number }): unknown };
  bertNormalizer(o: { cleanText: boolean; handleChineseChars: boolean; stripAccents: boolean; lowercase: boolean }): unknown;
  bertPreTokenizer(): unknown;
  bertProcessing(sep: [string, number], cls: [string, number]): unknown;
}

function loadHf(): HfModule {
  try {
    const hf = require(HF_PATH) as HfModule;
    const version = (require(path.join(HF_PATH, 'package.json')) as { version: string }).version;
    if (version !== HF_VERSION) console.warn(`warning: tokenizers ${version} at ${HF_PATH}; the committed fixtures were made with ${HF_VERSION}`);
    return hf;
  } catch (e) {
    throw new Error(
      `cannot load Hugging Face tokenizers from ${HF_PATH} (${(e as Error).message.split('\n')[0]}). ` +
        `Install it out of the tree: npm install --prefix /tmp/hf-tokenizers tokenizers@${HF_VERSION}, or point HF_TOKENIZERS at its folder`,
    );
  }
}

/** Reads vocab.txt in either format (one token per line; `token<TAB>id`) as WordPiece wants it. */
function readVocab(file: string): Record<string, number> {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const vocab: Record<string, number> = {};
  lines.forEach((line, i) => {
    const tab = line.indexOf('\t');
    if (tab < 0) vocab[line] = i;
    else vocab[line.slice(0, tab)] = Number(line.slice(tab + 1));
  });
  return vocab;
}

/** mulberry32: the sample and the truncation lengths are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first column of tab-separated lines (the text; a line without a tab is all text). */
function firstColumn(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, '').split('\t')[0]!)
    .filter((l) => l.trim() !== '');
}

const A101 = 'a'.repeat(101);
/** Hand-written inputs for the corners of the algorithm. */
const EDGE_CASES: string[] = [
  // empty and whitespace only
  '', ' ', '\t\n\r ', '\u00a0\u3000\u2003', '\n\n\n',
  // whitespace oddities
  '  leading and trailing  ', 'tabs\tand\ttabs', 'a\r\nb\rc\nd', 'nbsp\u00a0here', 'em\u2003space and thin\u2009space',
  'ideographic\u3000space', 'line\u2028separator\u2029paragraph', 'ogham\u1680space', 'mongolian\u180evowel separator',
  'vertical\u000btab\u000cform feed', 'info\u001cseparators\u001d\u001e\u001fhere', 'next\u0085line', 'narrow\u202fnbsp\u205fmath',
  // control and format characters, NUL, U+FFFD, private use, unassigned
  'nul\u0000in the middle', 'bell\u0007and escape\u001b[31mred\u001b[0m', 'del\u007fchar', 'soft\u00adhyphen', 'zero\u200bwidth\u200cnon\u200djoiner',
  'word\u2060joiner', '\ufeffbyte order mark', 'replacement\ufffdchar', 'private\ue000use\uf8ff', 'unassigned\u0378here', 'tag\u{e0001}\u{e0061}chars',
  'bidi\u202aembed\u202cand\u200fmark', 'C1\u0080\u009fcontrols',
  // accents and case
  'Café résumé naïve coöperate façade', 'São Paulo, Zürich, Øresund, Łódź, Ångström', 'decomposed e\u0301 and n\u0303 and a\u0308',
  'ÀÉÎÕÜ àéîõü ÇÑ', 'İstanbul ıi İI', 'ΣΟΦΟΣ σοφός ΌΣΟΣ Σ', 'Straße STRASSE ẞ', 'ǄEMAL ǅemal ǆ', 'ﬁne ﬂow ﬀ ﬃ', 'Ⅻ ⅻ Ⅳ',
  'ＡＢＣ１２３ ａｂｃ', 'Å angstrom K kelvin', 'µ micro Μ mu', 'Ꭰ Cherokee ꭰ', 'ᲐᲑᲒ Georgian', 'Deseret 𐐀𐐨', 'Math 𝐀𝐁𝐂 𝑥𝑦',
  'Vietnamese: Tiếng Việt có dấu', 'Hebrew: שָׁלוֹם', 'Devanagari: नमस्ते दुनिया', 'Thai: สวัสดีครับ', 'Arabic: مرحبا بالعالم',
  'Cyrillic: Привет, МИР!', 'Greek: Ελληνικά', 'Hangul: 한국어 텍스트', 'Japanese: 東京タワーへ行きました。', 'Armenian ﬓ ligature',
  // emoji
  'I love it 😀😀!', 'thumbs 👍🏽 up', 'family 👨‍👩‍👧 zwj', 'flags 🇨🇳🇺🇸', 'keycap 1️⃣ and ❤️ heart', 'new emoji 🥲 🫠 🥰',
  '😀'.repeat(101), 'emoji😀glued', '🙂 中文 🙃',
  // very long words
  A101, 'a'.repeat(100), `${A101} short`, 'é'.repeat(101), 'e\u0301'.repeat(60), 'supercalifragilisticexpialidocious',
  'pneumonoultramicroscopicsilicovolcanoconiosis', 'https://example.com/some/long/path?query=abc&x=1#frag', '1234567890'.repeat(12),
  'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch', 'x'.repeat(250),
  // CJK mixed with Latin, CJK blocks and their neighbours
  '我爱NLP和BERT模型', 'iPhone手机很好用', '2020年3月15日', 'ChatGPT是什么？', 'Ｈｅｌｌｏ世界', '中文，English；混合！', '东京タワー',
  'ext A 㐀㒨 ext B 𠀀𠀁 ext C 𪜀 ext E 𫠠𫡀 compat 豈 兀', '⺀ radical ⼀ kangxi', '〇 々 ー 〜', '「引号」『书名』【括号】', '……——·',
  '￥100 ５０％', '中'.repeat(130), '酒店a很b好c', 'ABC中DEF文GHI', 'hello世界hello',
  // special tokens written in the text
  '[CLS] hello [SEP] world [MASK]', '[UNK] and [PAD]', '[sep] lower case is not special', '[SEP][SEP]', 'x[MASK]y', '[ MASK ]', '[MASK',
  // punctuation and symbols
  "don't can't won't", 'U.S.A. e-mail', '$100.00 50% #hashtag @user', 'C++ & C# a/b\\c', '«quoted» „German“ ‘single’', '¿Qué? ¡Hola!',
  '‽ ※ § ¶', '©®™ → ± °C ½', '3.14159 1,000,000 10:30pm v2.0.1-beta', '~!@#$%^&*()_+`-={}|[]\\:";\'<>?,./', 'end.', '...',
];

/**
 * Where Hugging Face's fast tokenizer departs from BERT's reference algorithm (Google's
 * tokenization.py, which transformers' slow BertTokenizer and PaddleNLP 2.0 follow, and so does
 * Oar), HF is given a rewritten text on which the fast pipeline does what the reference does to
 * the original. Each rewrite keeps every character's length in code points and UTF-16 units, so
 * offsets line up with the original. The rules (the spec checks that nothing else changed):
 *  - 'unassigned': code points of no category (Cn) are control characters to the reference and
 *    are dropped; the Rust normalizer keeps them. They become a format character (Cf) that both drop.
 *  - 'cjk-ext-e': U+2B820-U+2B91F (the start of CJK Extension E) are ideographs to the reference
 *    and get a token each; the Rust normalizer's range starts at 0x2B920. They become U+2B740
 *    (Extension D), an ideograph to both (neither is in any vocabulary here: checked).
 *  - 'final-sigma': lower-casing a word (Python's str.lower(), JavaScript's toLowerCase()) turns
 *    a word-final Σ into ς; the Rust normalizer lower-cases character by character (σ). Such Σ
 *    are given as ς.
 */
const CN = /^\p{Cn}$/u;
const EXT_E_GAP: [number, number] = [0x2b820, 0x2b91f];
const EXT_D = 0x2b740;

function slowEquivalent(text: string, lowercase: boolean, vocab: Record<string, number>): { text: string; rules: string[] } {
  const rules = new Set<string>();
  const out: string[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (CN.test(ch)) {
      out.push(cp > 0xffff ? '\u{e0001}' : '\u200b');
      rules.add('unassigned');
    } else if (cp >= EXT_E_GAP[0] && cp <= EXT_E_GAP[1]) {
      const sub = String.fromCodePoint(EXT_D);
      if (ch in vocab || sub in vocab) throw new Error(`the vocabulary holds ${ch} or ${sub}: the cjk-ext-e rewrite would change the result`);
      out.push(sub);
      rules.add('cjk-ext-e');
    } else out.push(ch);
  }
  if (lowercase) {
    // Words as the reference lower-cases them: split on whitespace.
    let at = 0;
    for (const word of out.join('').split(/(\s+)/)) {
      const chars = [...word];
      if (!/\s/.test(word) && word.includes('Σ')) {
        const whole = word.toLowerCase();
        let k = 0;
        chars.forEach((c, i) => {
          const n = c.toLowerCase().length;
          if (c === 'Σ' && whole.slice(k, k + n) === 'ς') {
            out[at + i] = 'ς';
            rules.add('final-sigma');
          }
          k += n;
        });
      }
      at += chars.length;
    }
  }
  return { text: out.join(''), rules: [...rules] };
}

/** Hugging Face's pipeline for one vocabulary, as BertTokenizerFast builds it. */
function makeTokenizer(hf: HfModule, vocab: Record<string, number>, lowercase: boolean): HfTokenizer {
  const model = hf.WordPiece.init(vocab, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
  const t = new hf.Tokenizer(model);
  // strip_accents unset in BertTokenizerFast follows lowercase.
  t.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: lowercase, lowercase }));
  t.setPreTokenizer(hf.bertPreTokenizer());
  t.setPostProcessor(hf.bertProcessing(['[SEP]', vocab['[SEP]']!], ['[CLS]', vocab['[CLS]']!]));
  t.addSpecialTokens(['[UNK]', '[SEP]', '[PAD]', '[CLS]', '[MASK]']);
  return t;
}

type Strategy = 'longest_first' | 'only_first' | 'only_second';
const HF_STRATEGY: Record<Strategy, string> = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' };

/** One encoding: indices into `texts`, the truncation asked for, and HF's result or its error. */
interface Case {
  a: number;
  b?: number;
  max_length?: number;
  strategy?: Strategy;
  ids?: number[];
  type_ids?: number[];
  /**
   * Offsets in code points, [0, 0] for special tokens, stored as deltas that compress well: per
   * token `start - previous end` then `end - start` (the previous end of the first token is 0).
   */
  offsets?: number[];
  error?: string;
}

function deltaOffsets(offsets: number[][]): number[] {
  const out: number[] = [];
  let prevEnd = 0;
  for (const [start, end] of offsets) {
    out.push(start! - prevEnd, end! - start!);
    prevEnd = end!;
  }
  return out;
}

async function encodeCase(t: HfTokenizer, tokenOf: string[], texts: string[], c: Case): Promise<Case> {
  if (c.max_length !== undefined) t.setTruncation(c.max_length, { strategy: HF_STRATEGY[c.strategy!] });
  else t.disableTruncation();
  try {
    const e = await t.encode(texts[c.a]!, c.b === undefined ? null : texts[c.b]!);
    const ids = e.getIds();
    // Tokens are not stored: each is the vocabulary's token of its id (checked here), which keeps
    // the fixtures at half the size; the spec maps the ids back through the vocabulary file.
    e.getTokens().forEach((tok, i) => {
      if (tokenOf[ids[i]!] !== tok) throw new Error(`HF gave token ${JSON.stringify(tok)} with id ${ids[i]}, whose vocabulary token is ${JSON.stringify(tokenOf[ids[i]!])}`);
    });
    return { ...c, ids, type_ids: e.getTypeIds(), offsets: deltaOffsets(e.getOffsets()) };
  } catch (err) {
    return { ...c, error: String((err as Error).message ?? err) };
  }
}

interface VocabSpec {
  name: string;
  file: string;
  lowercase: boolean;
  /** Which tokenizer class of @oar/nlp stands for it. */
  oar: 'BertTokenizer' | 'ErnieTokenizer';
  seed: number;
}

const VOCABS: VocabSpec[] = [
  { name: 'bert-base-uncased', file: 'vocab-bert-base-uncased/vocab.txt', lowercase: true, oar: 'BertTokenizer', seed: 1 },
  // Cased, as its Hugging Face tokenizer_config.json has it (do_lower_case false).
  { name: 'bert-base-chinese', file: 'vocab-bert-base-chinese/vocab.txt', lowercase: false, oar: 'BertTokenizer', seed: 2 },
  // ERNIE 1.0 as PaddleNLP's ErnieTokenizer uses it: lower-cased.
  { name: 'ernie-1.0', file: 'vocab-ernie-1.0-zh/vocab.txt', lowercase: true, oar: 'ErnieTokenizer', seed: 3 },
];

/** How many of each kind of input each vocabulary gets. */
const CHINESE_SAMPLE = 400;
const ENGLISH_SUBSET = 300;
const CHINESE_SUBSET = 100;
const PAIRS = 250;
const UNTRUNCATED_PAIRS = 80;
const TIES = 40;
const TRUNCATED_SINGLES = 150;

async function main(): Promise<void> {
  const hf = loadHf();
  const uci = ['amazon_cells_labelled.txt', 'imdb_labelled.txt', 'yelp_labelled.txt'].flatMap((f) => firstColumn(path.join(DATA, 'uci-sentiment-labelled-sentences', f)));
  if (!fs.existsSync(CHN_SOURCE)) throw new Error(`ChnSentiCorp ${CHN_SOURCE} not found: give the path of its train.tsv as the first argument`);
  const chnAll = firstColumn(CHN_SOURCE);
  // Every k-th review, so the sample spans the file (hotels, books, laptops).
  const step = Math.floor(chnAll.length / CHINESE_SAMPLE);
  const chinese = Array.from({ length: CHINESE_SAMPLE }, (_, i) => chnAll[i * step]!);
  fs.mkdirSync(OUT, { recursive: true });

  for (const v of VOCABS) {
    const vocab = readVocab(path.join(DATA, v.file));
    const t = makeTokenizer(hf, vocab, v.lowercase);
    const tokenOf: string[] = [];
    for (const [tok, id] of Object.entries(vocab)) tokenOf[id] = tok;
    const r = rng(v.seed);
    const pick = <T>(xs: readonly T[], n: number): T[] => {
      const idx = xs.map((_, i) => i);
      for (let i = idx.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
      return idx.slice(0, n).sort((x, y) => x - y).map((i) => xs[i]!);
    };
    const english = v.lowercase && v.oar === 'BertTokenizer' ? uci : pick(uci, ENGLISH_SUBSET);
    const zh = v.name === 'bert-base-uncased' ? pick(chinese, CHINESE_SUBSET) : chinese;
    const texts = [...new Set([...english, ...zh, ...EDGE_CASES])];
    const ints = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
    const cases: Case[] = texts.map((_, a) => ({ a }));
    for (let k = 0; k < TRUNCATED_SINGLES; k++) {
      cases.push({ a: ints(0, texts.length - 1), max_length: ints(2, 40), strategy: r() < 0.5 ? 'longest_first' : 'only_first' });
    }
    // Pairs: every truncation strategy at one maximum length (often too short for only_*: HF's
    // error is the expected result then), and some without truncation.
    for (let k = 0; k < PAIRS + TIES; k++) {
      const a = ints(0, texts.length - 1);
      // The last ones pair a text with itself: equal lengths, where longest_first must break a tie.
      const b = k < PAIRS ? ints(0, texts.length - 1) : a;
      const maxLength = ints(3, 48);
      if (k < UNTRUNCATED_PAIRS) cases.push({ a, b });
      for (const strategy of ['longest_first', 'only_first', 'only_second'] as const) cases.push({ a, b, max_length: maxLength, strategy });
    }
    const hfTexts: Record<number, string> = {};
    const rewrites: Record<number, string[]> = {};
    const given = texts.map((text, i) => {
      const r2 = slowEquivalent(text, v.lowercase, vocab);
      if (r2.text !== text) {
        hfTexts[i] = r2.text;
        rewrites[i] = r2.rules;
      }
      return r2.text;
    });
    const results: Case[] = [];
    for (const c of cases) results.push(await encodeCase(t, tokenOf, given, c));
    const fixture = {
      generator: 'tools/nlp/make_tokenizer_fixtures.ts',
      reference: `Hugging Face tokenizers ${HF_VERSION} (Node binding), BertTokenizerFast's pipeline`,
      vocabulary: `packages/nlp/data/${v.file}`,
      name: v.name,
      tokenizer: v.oar,
      do_lower_case: v.lowercase,
      tokens: 'not stored: the token of each id in the vocabulary file (the generator checked that HF gave exactly those)',
      offsets: 'code points (Unicode scalar values) of the input text, [0, 0] for special tokens; per token: start - previous end, end - start',
      texts,
      rewrite_rules: 'see slowEquivalent in the generator: unassigned, cjk-ext-e, final-sigma',
      /** Text index -> the text HF was given instead, and the rules that made it. */
      hf_texts: hfTexts,
      rewrites,
      cases: results,
    };
    const file = path.join(OUT, `hf-${v.name}.json.gz`);
    // Node's gzip writes no timestamp: the same inputs give the same bytes.
    fs.writeFileSync(file, zlib.gzipSync(JSON.stringify(fixture), { level: 9 }));
    const errors = results.filter((c) => c.error).length;
    const rewritten = results.filter((c) => hfTexts[c.a] !== undefined || (c.b !== undefined && hfTexts[c.b] !== undefined)).length;
    console.log(`${path.relative(ROOT, file)}: ${texts.length} texts, ${results.length} cases (${errors} HF errors, ${rewritten} on rewritten texts: ${JSON.stringify(rewrites)}), ${fs.statSync(file).size} bytes`);
  }
}

main().catch((e: unknown) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
