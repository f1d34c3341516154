/** Every backbone by its PaddleClas name (`ResNet50`, `MobileNetV3_large_x1_0`, ...), listed explicitly. */
import { MODELS as googlenet } from './googlenet';
import { MODELS as hrnet } from './hrnet';
import { MODELS as mobilenetV3 } from './mobilenet_v3';
import type { BackboneFactory } from './registry';
import { MODELS as resnet } from './resnet';
import { MODELS as vgg } from './vgg';

export type { BackboneFactory, BackboneOptions } from './registry';

export const BACKBONES: Record<string, BackboneFactory> = {
  ...vgg,
  ...resnet,
  ...googlenet,
  ...mobilenetV3,
  ...hrnet,
};
