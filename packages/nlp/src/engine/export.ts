/**
 * Inference export of a fine-tuned classifier, as PaddleNLP's export_model.py does it: the model
 * traced by the core's `jit.save` into Paddle's inference format, `inference.pdmodel` +
 * `inference.pdiparams`, with inputs `input_ids` and `token_type_ids` (int64, [-1, -1]: any batch
 * and sequence length) and the logits [-1, num_classes] as output; beside them the files a
 * predictor needs to tokenize and to name the classes (model_config.json, vocab.txt,
 * tokenizer_config.json). Padding is masked where input_ids holds the pad token, as PaddleNLP's
 * models do without an attention mask.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputSpec, jit, nn, type Tensor } from '@oar/core';
import type { SequenceClassifier } from '../models/heads';
import { CheckpointError, CONFIG_FILE, TOKENIZER_CONFIG_FILE, VOCAB_FILE } from './checkpoint';

/** `<dir>/inference.pdmodel` and `<dir>/inference.pdiparams`. */
export const INFERENCE_PREFIX = 'inference';
/** The program's feed names, in order (PaddleNLP names them after forward's arguments). */
export const INFERENCE_INPUTS = ['input_ids', 'token_type_ids'] as const;
/** Files copied from the trained model's folder next to the program. */
export const EXPORT_SIDE_FILES = [CONFIG_FILE, VOCAB_FILE, TOKENIZER_CONFIG_FILE] as const;

/** forward(input_ids, token_type_ids) → logits: the signature of PaddleNLP's exported programs. */
export class ClassifierForInference extends nn.Layer {
  constructor(readonly model: SequenceClassifier) {
    super();
  }

  override forward(inputIds: Tensor, tokenTypeIds: Tensor): Tensor {
    return this.model.call(inputIds, { tokenTypeIds });
  }
}

/** Traces `model` into `<dir>/inference.pdmodel` + `.pdiparams` (any batch size and sequence length). */
export function exportClassifier(model: SequenceClassifier, dir: string): jit.SaveResult {
  const specs = INFERENCE_INPUTS.map((name) => new InputSpec([-1, -1], 'int64', name));
  return jit.save(new ClassifierForInference(model), path.join(dir, INFERENCE_PREFIX), specs);
}

/** Copies the configuration, vocabulary and tokenizer settings of a saved model folder to `out`. */
export function copySideFiles(modelDir: string, out: string): void {
  for (const f of EXPORT_SIDE_FILES) {
    const src = path.join(modelDir, f);
    if (!fs.existsSync(src)) throw new CheckpointError(`${src} does not exist: export needs a folder saved by training (it holds ${EXPORT_SIDE_FILES.join(', ')})`);
    fs.copyFileSync(src, path.join(out, f));
  }
}
