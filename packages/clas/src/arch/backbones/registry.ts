import type { nn } from '@oar/core';

/** Options every backbone takes (PaddleClas `Arch` parameters). */
export interface BackboneOptions {
  class_num?: number;
  [key: string]: unknown;
}

/** Builds a backbone from its `Arch` parameters. */
export type BackboneFactory = (opts: BackboneOptions) => nn.Layer;
