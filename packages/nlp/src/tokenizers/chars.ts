/**
 * Character classes of BERT's basic tokenizer, defined as the reference implementation (Google's
 * tokenization.py, carried into PaddleNLP and Hugging Face) defines them, over Unicode general
 * categories.
 */

const CONTROL = /^\p{C}$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARK = /\p{Mn}/gu;

/** Whitespace for the cleaning step: space, \t, \n, \r, and category Zs. */
export function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || SPACE_SEPARATOR.test(ch);
}

/**
 * Control characters (dropped by cleaning): categories C*, except \t, \n and \r which count as
 * whitespace. Unassigned code points (Cn) are included, as in the reference's
 * unicodedata.category; Hugging Face's fast tokenizer keeps them (test/tokenizers/hf-reference.spec.ts).
 */
export function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CONTROL.test(ch);
}

/**
 * Punctuation: every non-alphanumeric ASCII printable character (33-47, 58-64, 91-96, 123-126,
 * which includes symbols such as `$`, `^` and `` ` `` that Unicode files under S*) plus category P*.
 */
export function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCTUATION.test(ch);
}

/**
 * The CJK Unified Ideographs blocks (and extensions and compatibility ideographs) that the
 * reference splits into one token per character. Hangul, kana and CJK punctuation are not here,
 * on purpose: they are written with spaces or handled as punctuation.
 */
export function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    // Hugging Face's fast tokenizer starts this range at 0x2B920 (a typo); the reference and its slow one at 0x2B820.
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * Python's `str.isspace()`, which `str.split()` splits on. It differs from JavaScript's `\s`
 * (Python includes \x1c-\x1f and \x85, not \ufeff); after cleaning only the separators U+2028
 * and U+2029 (categories Zl, Zp, neither control nor Zs) can still reach the split.
 */
export function isPythonSpace(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    (cp >= 0x1c && cp <= 0x20) ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** Accent stripping: canonical decomposition (NFD), then without nonspacing marks (Mn). */
export function stripAccents(s: string): string {
  return s.normalize('NFD').replace(NONSPACING_MARK, '');
}
