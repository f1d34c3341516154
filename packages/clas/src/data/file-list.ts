/**
 * PaddleClas file lists: one `relative/path<delimiter>label` per line, paths relative to the
 * data set's image_root (e.g. `train/n01440764/n01440764_10026.JPEG 0`).
 */
import * as fs from 'fs';
import * as path from 'path';

export interface FileListEntry {
  /** The path as written in the list. */
  file: string;
  label: number;
  /** 1-based line number in the list. */
  line: number;
}

/** Parses a list's text; every malformed line is reported with its number and content. */
export function parseFileList(text: string, listPath: string, delimiter = ' '): FileListEntry[] {
  const out: FileListEntry[] = [];
  const bad: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const parts = line.split(delimiter);
    const problem =
      parts.length < 2
        ? `no "${delimiter === ' ' ? 'space' : delimiter}" delimiter between path and label`
        : parts.length > 2
          ? `${parts.length} fields, expected 2 (path and label)`
          : !/^\d+$/.test(parts[1]!.trim())
            ? `label "${parts[1]}" is not a non-negative integer`
            : parts[0]!.trim() === ''
              ? 'empty path'
              : undefined;
    if (problem) bad.push(`${listPath}:${i + 1}: ${problem}: ${JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw)}`);
    else out.push({ file: parts[0]!.trim(), label: Number(parts[1]!.trim()), line: i + 1 });
  });
  if (bad.length) {
    const shown = bad.slice(0, 5).join('\n  ');
    const more = bad.length > 5 ? `\n  ... and ${bad.length - 5} more` : '';
    throw new Error(`bad lines in file list ${listPath} (expected "relative/path${delimiter}label"):\n  ${shown}${more}`);
  }
  if (out.length === 0) throw new Error(`file list ${listPath} has no entries`);
  return out;
}

export function readFileList(listPath: string, delimiter = ' '): FileListEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(listPath, 'utf8');
  } catch (e) {
    throw new Error(`cannot read file list ${listPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseFileList(text, listPath, delimiter);
}

/** Throws naming every listed image that does not exist under `root` (the first five shown). */
export function checkImagesExist(entries: readonly FileListEntry[], root: string, listPath: string): void {
  const missing = entries.filter((e) => !fs.existsSync(path.join(root, e.file)));
  if (missing.length === 0) return;
  const shown = missing
    .slice(0, 5)
    .map((e) => `${listPath}:${e.line}: ${path.join(root, e.file)}`)
    .join('\n  ');
  const more = missing.length > 5 ? `\n  ... and ${missing.length - 5} more` : '';
  throw new Error(`${missing.length} image(s) listed in ${listPath} do not exist under image_root ${root}:\n  ${shown}${more}`);
}
