/** The image files `infer` predicts: files and folders as `Infer.infer_imgs` / `--image` name them. */
import * as fs from 'fs';
import * as path from 'path';

/** PaddleClas's get_image_list extensions (compared case-insensitively here). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp'];

function isImage(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/**
 * Expands files and folders into image files: a folder gives its images (not recursively, as in
 * PaddleClas), sorted by name so runs print in a stable order.
 */
export function getImageList(inputs: string | readonly string[], where = 'Infer.infer_imgs'): string[] {
  const list = typeof inputs === 'string' ? [inputs] : inputs;
  const out: string[] = [];
  for (const p of list) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new Error(`${where}: ${p} does not exist`);
    }
    if (st.isDirectory()) {
      const found = fs
        .readdirSync(p)
        .filter((f) => isImage(f) && fs.statSync(path.join(p, f)).isFile())
        .sort()
        .map((f) => path.join(p, f));
      if (!found.length) throw new Error(`${where}: the folder ${p} holds no images (${IMAGE_EXTENSIONS.join(', ')})`);
      out.push(...found);
    } else if (isImage(p)) out.push(p);
    else throw new Error(`${where}: ${p} is not an image file (${IMAGE_EXTENSIONS.join(', ')})`);
  }
  return out;
}
