/**
 * Vocabularies: token ↔ id maps read from the two file formats in use, one token per line (the id
 * is the line index; BERT's vocab.txt) and `token<TAB>id` (ERNIE 1.0's vocab.txt).
 */
import * as fs from 'fs';

export class VocabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VocabError';
  }
}

export class Vocab {
  private readonly toId = new Map<string, number>();
  private readonly toToken: string[] = [];

  /** `tokens[i]` gets id `ids?.[i] ?? i`. A repeated token keeps its last id, as a Python dict would. */
  constructor(tokens: readonly string[], ids?: readonly number[]) {
    tokens.forEach((t, i) => {
      const id = ids ? ids[i]! : i;
      this.toId.set(t, id);
      this.toToken[id] = t;
    });
  }

  /** One more than the largest id (the embedding rows the vocabulary needs). */
  get size(): number {
    return this.toToken.length;
  }

  has(token: string): boolean {
    return this.toId.has(token);
  }

  id(token: string): number | undefined {
    return this.toId.get(token);
  }

  token(id: number): string | undefined {
    return this.toToken[id];
  }

  /** Reads a vocabulary file, telling the format apart by its lines. */
  static fromFile(file: string): Vocab {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new VocabError(`cannot read vocabulary ${file}: ${(e as Error).message}`);
    }
    return Vocab.parse(text, file);
  }

  /**
   * Parses a vocabulary's text. Either every line is `token<TAB>id` with a non-negative integer
   * id, or no line has a tab (one token per line). A mix, a blank line or a bad id is an error
   * that names the line.
   */
  static parse(text: string, source = 'vocabulary'): Vocab {
    const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    if (lines.length === 0) throw new VocabError(`${source} is empty: expected one token per line, or "token<TAB>id" lines`);
    const tabbed = lines[0]!.includes('\t');
    const tokens: string[] = [];
    const ids: number[] = [];
    const seenIds = new Map<number, number>();
    lines.forEach((line, i) => {
      const where = `${source} line ${i + 1}`;
      const expected = tabbed ? 'a "token<TAB>id" line like the first line' : 'one token per line (no tab) like the first line';
      if (line === '') throw new VocabError(`${where} is blank; expected ${expected}: the file is in neither vocabulary format`);
      const parts = line.split('\t');
      if (!tabbed) {
        if (parts.length !== 1) throw new VocabError(`${where} has a tab; expected ${expected}: the file is in neither vocabulary format`);
        tokens.push(line);
        return;
      }
      if (parts.length !== 2 || !/^\d+$/.test(parts[1]!) || parts[0] === '') {
        throw new VocabError(`${where} is ${JSON.stringify(line.slice(0, 40))}; expected ${expected}: the file is in neither vocabulary format`);
      }
      const id = Number(parts[1]);
      const prev = seenIds.get(id);
      if (prev !== undefined) throw new VocabError(`${where}: id ${id} was already given to line ${prev}`);
      seenIds.set(id, i + 1);
      tokens.push(parts[0]!);
      ids.push(id);
    });
    return new Vocab(tokens, tabbed ? ids : undefined);
  }
}
