import { nn, tensor, zeros, full, cast, memory, Parameter, type Tensor } from '../../src';

const { Layer, Linear, Sequential, ParamAttr, initializer: I } = nn;
const c = (v: number) => new ParamAttr({ initializer: new I.Constant(v) });

class Net extends Layer {
  embed: InstanceType<typeof Linear>;
  head: InstanceType<typeof Sequential>;
  constructor(w: number) {
    super();
    this.embed = new Linear(3, 4, { weightAttr: c(w) });
    this.head = new Sequential(new Linear(4, 2, { weightAttr: c(w) }));
    this.registerBuffer('count', full([1], w));
    // A non-persistable buffer: in buffers(), not in stateDict().
    this.registerBuffer('cache', zeros([2]), false);
  }
}

const values = (sd: Map<string, Tensor>) => Object.fromEntries([...sd].map(([k, t]) => [k, t.toFlatArray()]));

describe('stateDict / setStateDict', () => {
  it('lists parameters and persistable buffers under Paddle keys', () => {
    const net = new Net(1);
    expect([...net.stateDict().keys()]).toEqual(['count', 'embed.weight', 'embed.bias', 'head.0.weight', 'head.0.bias']);
    expect([...net.stateDict({ includeNonPersistableBuffer: true }).keys()]).toContain('cache');
    expect([...net.stateDict({ structuredNamePrefix: 'm.' }).keys()][0]).toBe('m.count');
    expect([...net.stateDict({ includeSublayers: false }).keys()]).toEqual(['count']);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['count', 'cache']);
    net.dispose();
  });

  it('round-trips into a fresh model, copying values (not sharing buffers)', () => {
    const a = new Net(0.5);
    const b = new Net(-2);
    const res = b.setStateDict(a.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(b.stateDict())).toEqual(values(a.stateDict()));
    // b owns copies: changing a leaves b alone, and parameters keep their identity.
    const w = b.embed.weight;
    a.setStateDict(new Net(9).stateDict());
    expect(b.embed.weight).toBe(w);
    expect(b.embed.weight.toFlatArray()[0]).toBe(0.5);
    expect(b.embed.weight instanceof Parameter).toBe(true);
    a.dispose();
    b.dispose();
  });

  it('accepts a plain object and casts between float dtypes', () => {
    const net = new Net(0);
    const sd: Record<string, Tensor> = {};
    for (const [k, t] of net.stateDict()) sd[k] = cast(full(t.shape as number[], 3), 'float64');
    net.setStateDict(sd);
    expect(net.embed.weight.dtype).toBe('float32');
    expect(net.head.at(0).parameters()[0]!.toFlatArray().every((v) => v === 3)).toBe(true);
    net.dispose();
  });

  it('fails atomically on a shape mismatch, naming the key and both shapes', () => {
    const net = new Net(1);
    const before = values(net.stateDict());
    const sd = new Net(2).stateDict();
    sd.set('head.0.weight', zeros([2, 4]));
    expect(() => net.setStateDict(sd)).toThrow(/"head\.0\.weight": shape \[2, 4\] in the state dict, \[4, 2\] in the layer/);
    expect(() => net.setStateDict(sd)).toThrow(/^Net \(net_\d+\)\.setStateDict: nothing was loaded/);
    // Keys before the bad one were not copied either.
    expect(values(net.stateDict())).toEqual(before);
    net.dispose();
  });

  it('reports missing and unexpected keys: an error when strict, a result otherwise', () => {
    const net = new Net(1);
    const sd = new Net(5).stateDict();
    sd.delete('embed.bias');
    sd.set('extra.weight', zeros([1]));
    expect(() => net.setStateDict(sd)).toThrow(/missing keys: "embed\.bias"[\s\S]*unexpected keys: "extra\.weight"/);
    expect(net.embed.weight.toFlatArray()[0]).toBe(1);
    const res = net.setStateDict(sd, { strict: false });
    expect(res).toEqual({ missingKeys: ['embed.bias'], unexpectedKeys: ['extra.weight'] });
    expect(net.embed.weight.toFlatArray()[0]).toBe(5);
    expect(net.embed.bias!.toFlatArray()[0]).toBe(0);
    // Shape mismatches stay errors even when not strict.
    sd.set('count', zeros([3]));
    expect(() => net.setStateDict(sd, { strict: false })).toThrow(/"count": shape \[3\]/);
    net.dispose();
  });

  it('rejects non-tensors, disposed tensors and integer/float dtype mismatches', () => {
    const net = new Net(1);
    const sd = net.stateDict();
    const dead = zeros([1]);
    dead.dispose();
    const bad = new Map<string, Tensor>(sd);
    bad.set('count', dead);
    expect(() => net.setStateDict(bad)).toThrow(/"count": the source tensor was disposed/);
    bad.set('count', tensor([1], { dtype: 'int32' }));
    expect(() => net.setStateDict(bad)).toThrow(/"count": dtype int32 in the state dict, float32 in the layer/);
    bad.set('count', [1] as unknown as Tensor);
    expect(() => net.setStateDict(bad)).toThrow(/"count": expected a Tensor, got an array/);
    net.dispose();
  });

  it('leaves no stray tensors behind', () => {
    const a = new Net(1);
    const b = new Net(2);
    const n0 = memory().numTensors;
    b.setStateDict(a.stateDict());
    expect(memory().numTensors).toBe(n0);
    a.dispose();
    b.dispose();
  });
});

describe('Paddle naming of a nested conv / batch-norm model', () => {
  class ConvBN extends Layer {
    conv1 = new nn.Conv2D(3, 8, 3, { padding: 1, biasAttr: false });
    bn1 = new nn.BatchNorm2D(8);
  }
  class Net extends Layer {
    stem = new ConvBN();
    blocks = new nn.LayerList([new ConvBN2(), new ConvBN2()]);
    pool = new nn.AdaptiveAvgPool2D(1);
    fc = new Linear(8, 10);
  }
  class ConvBN2 extends Layer {
    conv = new nn.Conv2D(8, 8, 3, { padding: 1 });
    bn = new nn.BatchNorm2D(8);
  }

  it('lists structured names, shapes and counts as Paddle would', () => {
    nn.uniqueName.guard(() => {
      const net = new Net();
      const named = net.namedParameters().map(([n, p]) => `${n}${JSON.stringify(p.shape)}`);
      expect(named).toEqual([
        'stem.conv1.weight[8,3,3,3]',
        'stem.bn1.weight[8]',
        'stem.bn1.bias[8]',
        'stem.bn1._mean[8]',
        'stem.bn1._variance[8]',
        'blocks.0.conv.weight[8,8,3,3]',
        'blocks.0.conv.bias[8]',
        'blocks.0.bn.weight[8]',
        'blocks.0.bn.bias[8]',
        'blocks.0.bn._mean[8]',
        'blocks.0.bn._variance[8]',
        'blocks.1.conv.weight[8,8,3,3]',
        'blocks.1.conv.bias[8]',
        'blocks.1.bn.weight[8]',
        'blocks.1.bn.bias[8]',
        'blocks.1.bn._mean[8]',
        'blocks.1.bn._variance[8]',
        'fc.weight[8,10]',
        'fc.bias[10]',
      ]);
      // Paddle counts the BN statistics among parameters() (they are non-trainable parameters).
      expect(net.parameters()).toHaveLength(19);
      expect(net.parameters().filter((p) => p.trainable)).toHaveLength(13);
      expect(net.parameters().reduce((s, p) => s + p.size, 0)).toBe(216 + 32 + 2 * (576 + 8 + 32) + 90);
      expect([...net.stateDict().keys()]).toEqual(net.namedParameters().map(([n]) => n));
      // Tensor names follow unique_name: <layer full name>.w_N / .b_N.
      expect(net.stem.conv1.weight.name).toBe('conv2d_0.w_0');
      expect([net.stem.bn1.weight, net.stem.bn1.bias, net.stem.bn1._mean, net.stem.bn1._variance].map((p) => p.name)).toEqual([
        'batch_norm2d_0.w_0',
        'batch_norm2d_0.b_0',
        'batch_norm2d_0.w_1',
        'batch_norm2d_0.w_2',
      ]);
      expect(net.fc.weight.name).toBe('linear_0.w_0');
      net.dispose();
    });
  });

  it('loads by tensor names with useStructuredName false', () => {
    // Built under fresh name counters, the two models get the same tensor names.
    const a = nn.uniqueName.guard(() => new Net());
    const b = nn.uniqueName.guard(() => new Net());
    expect(b.fc.weight.name).toBe(a.fc.weight.name);
    const byName = new Map([...a.stateDict().values()].map((t) => [t.name, t]));
    b.setStateDict(byName, { useStructuredName: false });
    expect(values(b.stateDict())).toEqual(values(a.stateDict()));
    expect(() => b.setStateDict(a.stateDict(), { useStructuredName: false })).toThrow(/missing keys: "conv2d_0\.w_0"/);
    a.dispose();
    b.dispose();
  });
});
