/**
 * Finding the files of a Paddle inference model (spec §1): a folder, a program file
 * (`__model__`, `*.pdmodel`, any name), a `jit.save` path prefix, or a `.tar.gz`/`.tgz`/`.tar`
 * archive of a folder, read in memory with the `tar` package. Probing follows Paddle-Lite's
 * `FindModelFileName`: `__model__`, `model`, `model.pdmodel`, `inference.pdmodel` for the
 * program; `<prefix>.pdiparams`, `__params__`, `params`, `weights`, `model.pdiparams`,
 * `inference.pdiparams` for a combined parameter file; otherwise one file per variable.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tar from 'tar';

export const PROGRAM_NAMES = ['__model__', 'model', 'model.pdmodel', 'inference.pdmodel'];
export const COMBINED_PARAM_NAMES = ['__params__', 'params', 'weights', 'model.pdiparams', 'inference.pdiparams'];

/** Where the parameter values are. */
export type ParamSource =
  | { kind: 'combined'; file: string; bytes: Uint8Array }
  | {
      kind: 'separate';
      /** Folder (for messages). */
      dir: string;
      /** The bytes of the variable's own file, or undefined when there is none. */
      read(name: string): Uint8Array | undefined;
      /** The display name of the variable's file. */
      fileName(name: string): string;
    };

export interface ModelSource {
  /** The program file as messages name it (a path, or `archive.tar.gz:inner/path`). */
  programFile: string;
  programBytes: Uint8Array;
  params: ParamSource;
}

/** A clear error about paths: nothing to load, ambiguous folders, unreadable archives. */
export class ModelPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelPathError';
  }
}

/** The little of a file system the probing needs, over the disk or an archive held in memory. */
interface Tree {
  isFile(p: string): boolean;
  isDir(p: string): boolean;
  read(p: string): Uint8Array;
  list(dir: string): string[];
  display(p: string): string;
  join(...parts: string[]): string;
}

const disk: Tree = {
  isFile: (p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  },
  isDir: (p) => {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
  read: (p) => {
    const b = fs.readFileSync(p);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
  list: (d) => fs.readdirSync(d).sort(),
  display: (p) => p,
  join: (...parts) => path.join(...parts),
};

function archiveTree(archive: string, files: Map<string, Uint8Array>): Tree {
  const dirs = new Set<string>(['']);
  for (const f of files.keys()) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return {
    isFile: (p) => files.has(p),
    isDir: (p) => dirs.has(p),
    read: (p) => files.get(p)!,
    list: (d) =>
      [...files.keys(), ...dirs]
        .filter((f) => f !== d && path.posix.dirname(f) === (d === '' ? '.' : d))
        .map((f) => path.posix.basename(f))
        .sort(),
    display: (p) => `${archive}:${p}`,
    join: (...parts) => parts.filter((x) => x !== '' && x !== '.').join('/'),
  };
}

export function isArchivePath(p: string): boolean {
  return /\.(tar\.gz|tgz|tar)$/i.test(p);
}

/** Reads every regular file of a tar archive (gzip-compressed or not) into memory. */
export function readArchive(file: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const chunks = new Map<string, Buffer[]>();
  try {
    tar.t({
      file,
      sync: true,
      strict: true,
      onReadEntry: (e) => {
        if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile') {
          e.resume();
          return;
        }
        const name = e.path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
        const list: Buffer[] = [];
        chunks.set(name, list);
        e.on('data', (c: Buffer) => list.push(c));
      },
    });
  } catch (e) {
    throw new ModelPathError(`${file}: not a readable tar archive (${(e as Error).message})`);
  }
  for (const [name, list] of chunks) {
    const b = Buffer.concat(list);
    files.set(name, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }
  if (files.size === 0) throw new ModelPathError(`${file}: the archive holds no files`);
  return files;
}

function findProgramIn(t: Tree, dir: string): string | undefined {
  for (const n of PROGRAM_NAMES) if (t.isFile(t.join(dir, n))) return t.join(dir, n);
  const pd = t.list(dir).filter((n) => n.endsWith('.pdmodel') && t.isFile(t.join(dir, n)));
  if (pd.length === 1) return t.join(dir, pd[0]!);
  if (pd.length > 1) {
    throw new ModelPathError(`${t.display(dir)}: ${pd.length} program files (${pd.join(', ')}); name one of them`);
  }
  return undefined;
}

function paramsFor(t: Tree, program: string, explicit?: string): ParamSource {
  if (explicit !== undefined) {
    if (!t.isFile(explicit)) throw new ModelPathError(`${t.display(explicit)}: parameter file not found`);
    return { kind: 'combined', file: t.display(explicit), bytes: t.read(explicit) };
  }
  const dir = t.isFile(program) ? (t === disk ? path.dirname(program) : path.posix.dirname(program)) : program;
  const d = dir === '.' && t !== disk ? '' : dir;
  const base = program.split('/').pop()!;
  const candidates: string[] = [];
  if (base.endsWith('.pdmodel')) candidates.push(t.join(d, base.slice(0, -'.pdmodel'.length) + '.pdiparams'));
  for (const n of COMBINED_PARAM_NAMES) candidates.push(t.join(d, n));
  for (const c of candidates) if (t.isFile(c) && c !== program) return { kind: 'combined', file: t.display(c), bytes: t.read(c) };
  const pdi = t.list(d).filter((n) => n.endsWith('.pdiparams') && t.isFile(t.join(d, n)));
  if (pdi.length === 1) return { kind: 'combined', file: t.display(t.join(d, pdi[0]!)), bytes: t.read(t.join(d, pdi[0]!)) };
  return {
    kind: 'separate',
    dir: t.display(d === '' ? '.' : d),
    read: (name) => {
      const f = t.join(d, name);
      return t.isFile(f) ? t.read(f) : undefined;
    },
    fileName: (name) => t.display(t.join(d, name)),
  };
}

function openInTree(t: Tree, target: string, params: string | undefined, what: string): ModelSource {
  let program: string | undefined;
  if (t.isDir(target)) {
    program = findProgramIn(t, target);
    if (!program) {
      throw new ModelPathError(
        `${what}: no program file (tried ${PROGRAM_NAMES.join(', ')} and *.pdmodel) in ${t.display(target === '' ? '.' : target)}`,
      );
    }
  } else if (t.isFile(target)) program = target;
  else if (t.isFile(`${target}.pdmodel`)) program = `${target}.pdmodel`;
  else throw new ModelPathError(`${what}: no such file or folder`);
  return { programFile: t.display(program), programBytes: t.read(program), params: paramsFor(t, program, params) };
}

/**
 * Locates a model: `model` is a folder, a program file, a `jit.save` prefix (`inference` for
 * `inference.pdmodel`) or an archive; `params` names a combined parameter file explicitly.
 */
export function openModel(model: string, params?: string): ModelSource {
  if (isArchivePath(model) && disk.isFile(model)) {
    const files = readArchive(model);
    const t = archiveTree(model, files);
    // The folder inside the archive that holds the program: the archive's root, or the one
    // folder that has a program file.
    const dirs = [...new Set(['', ...[...files.keys()].map((f) => path.posix.dirname(f)).map((d) => (d === '.' ? '' : d))])];
    const found = dirs.filter((d) => findProgramIn(t, d) !== undefined);
    if (found.length === 0) {
      throw new ModelPathError(`${model}: the archive has no program file (${PROGRAM_NAMES.join(', ')} or *.pdmodel) in any folder`);
    }
    if (found.length > 1) {
      throw new ModelPathError(`${model}: the archive has program files in ${found.length} folders (${found.map((d) => d || '.').join(', ')}); extract it and name one`);
    }
    return openInTree(t, found[0]!, undefined, model);
  }
  if (params !== undefined && !disk.isFile(params)) throw new ModelPathError(`${params}: parameter file not found`);
  return openInTree(disk, model, params, model);
}
