/**
 * ResNet50 for the CPU benchmark, built from @oar/core's nn layers in the standard
 * torchvision / PaddleClas layout: a 7x7/2 stem, 3x3/2 max pool, bottleneck blocks [3, 4, 6, 3]
 * (1x1 → 3x3 (carrying the stride) → 1x1, expansion 4, projection shortcut on the first block of
 * each stage), global average pool and a 2048 → 1000 fully connected layer. 25,557,032
 * parameters, the same count as torchvision's resnet50 and tools/bench/torch_cpu.py's model.
 */
import * as path from 'node:path';
import { add, engine, flatten, InputSpec, jit, nn, relu, seed, uniform, type inference, type Tensor } from '@oar/core';

function conv(cin: number, cout: number, k: number, stride = 1): nn.Conv2D {
  return new nn.Conv2D(cin, cout, k, { stride, padding: (k - 1) / 2, biasAttr: false });
}

export class BottleneckBlock extends nn.Layer {
  conv1: nn.Conv2D;
  bn1: nn.BatchNorm2D;
  conv2: nn.Conv2D;
  bn2: nn.BatchNorm2D;
  conv3: nn.Conv2D;
  bn3: nn.BatchNorm2D;
  downsample: nn.Sequential | null;

  constructor(inplanes: number, planes: number, stride = 1) {
    super();
    this.conv1 = conv(inplanes, planes, 1);
    this.bn1 = new nn.BatchNorm2D(planes);
    this.conv2 = conv(planes, planes, 3, stride);
    this.bn2 = new nn.BatchNorm2D(planes);
    this.conv3 = conv(planes, planes * 4, 1);
    this.bn3 = new nn.BatchNorm2D(planes * 4);
    this.downsample =
      stride !== 1 || inplanes !== planes * 4
        ? new nn.Sequential(conv(inplanes, planes * 4, 1, stride), new nn.BatchNorm2D(planes * 4))
        : null;
  }

  override forward(x: Tensor): Tensor {
    let out = relu(this.bn1.call(this.conv1.call(x)));
    out = relu(this.bn2.call(this.conv2.call(out)));
    out = this.bn3.call(this.conv3.call(out));
    const identity = this.downsample ? this.downsample.call(x) : x;
    return relu(add(out, identity));
  }
}

export class ResNet50 extends nn.Layer {
  conv1: nn.Conv2D;
  bn1: nn.BatchNorm2D;
  maxpool: nn.MaxPool2D;
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  layer4: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2D;
  fc: nn.Linear;

  constructor(numClasses = 1000) {
    super();
    this.conv1 = conv(3, 64, 7, 2);
    this.bn1 = new nn.BatchNorm2D(64);
    this.maxpool = new nn.MaxPool2D(3, { stride: 2, padding: 1 });
    let inplanes = 64;
    const stage = (planes: number, blocks: number, stride: number): nn.Sequential => {
      const list: nn.Layer[] = [new BottleneckBlock(inplanes, planes, stride)];
      inplanes = planes * 4;
      for (let i = 1; i < blocks; i++) list.push(new BottleneckBlock(inplanes, planes));
      return new nn.Sequential(...list);
    };
    this.layer1 = stage(64, 3, 1);
    this.layer2 = stage(128, 4, 2);
    this.layer3 = stage(256, 6, 2);
    this.layer4 = stage(512, 3, 2);
    this.avgpool = new nn.AdaptiveAvgPool2D(1);
    this.fc = new nn.Linear(2048, numClasses);
  }

  override forward(x: Tensor): Tensor {
    let y = this.maxpool.call(relu(this.bn1.call(this.conv1.call(x))));
    y = this.layer4.call(this.layer3.call(this.layer2.call(this.layer1.call(y))));
    return this.fc.call(flatten(this.avgpool.call(y), 1));
  }
}

/**
 * Number of scalars in the model's trainable parameters (batch norm's running mean and variance
 * are frozen parameters in Paddle and Oar, buffers in PyTorch: left out, as PyTorch counts).
 */
export function countParams(model: nn.Layer): number {
  return model.parameters().reduce((s, p) => s + (p.trainable ? p.size : 0), 0);
}

/** Batch-norm statistics and scales of a trained network's magnitude, so activations stay bounded. */
export function realisticNorms(model: nn.Layer): void {
  engine.noGrad(() => {
    for (const l of model.sublayers()) {
      if (!(l instanceof nn.BatchNorm2D)) continue;
      const c = l._mean.shape[0]!;
      engine.assignInPlace(l._mean, uniform([c], { min: -0.2, max: 0.2 }));
      engine.assignInPlace(l._variance, uniform([c], { min: 0.5, max: 2 }));
      engine.assignInPlace(l.weight!, uniform([c], { min: 0.1, max: 0.4 }));
      engine.assignInPlace(l.bias!, uniform([c], { min: -0.1, max: 0.1 }));
    }
  });
}

/** The benchmarks' deterministic input batch (values in [-1.5, 1.5]). */
export function benchInput(batch: number): Float32Array {
  const x = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.0137) * 1.5;
  return x;
}

/** One batch through a ResNet50 predictor: input copied in, logits copied out. */
export function predictBatch(p: inference.Predictor, x: Float32Array, batch: number): Float32Array {
  const h = p.getInputHandle(p.getInputNames()[0]!);
  h.reshape([batch, 3, 224, 224]);
  h.copyFromCpu(x);
  p.run();
  return p.getOutputHandle(p.getOutputNames()[0]!).copyToCpu() as Float32Array;
}

/** The benchmarks' model (seed 0, realistic batch norms, eval mode), saved by jit.save as `dir/resnet50`. */
export function saveBenchModel(dir: string): { model: ResNet50; prefix: string } {
  seed(0);
  const model = new ResNet50();
  realisticNorms(model);
  model.eval();
  const prefix = path.join(dir, 'resnet50');
  jit.save(model, prefix, [new InputSpec([-1, 3, 224, 224], 'float32', 'x')]);
  return { model, prefix };
}
