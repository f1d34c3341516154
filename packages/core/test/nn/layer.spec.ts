import { nn, tensor, zeros, ones, memory, tidy, Parameter, sum, multiply, backward, type Tensor } from '../../src';

const { Layer, Linear, Sequential, LayerList, LayerDict, ParameterList, ParamAttr, initializer: I, uniqueName } = nn;

const c = (v: number) => new ParamAttr({ initializer: new I.Constant(v) });

/** A layer with one own parameter, one buffer and two sublayers, Paddle-style attribute assignment. */
class Block extends Layer {
  scale: Parameter;
  fc1: InstanceType<typeof Linear>;
  fc2: InstanceType<typeof Linear>;
  constructor() {
    super();
    this.scale = this.createParameter([1], { attr: c(2) });
    this.registerBuffer('steps', zeros([1]));
    this.fc1 = new Linear(3, 4, { weightAttr: c(0.1) });
    this.fc2 = new Linear(4, 2, { weightAttr: c(0.2), biasAttr: false });
  }
  override forward(x: Tensor): Tensor {
    return multiply(this.fc2.call(this.fc1.call(x)), this.scale);
  }
}

describe('Layer registration and names', () => {
  it('gives Paddle full names and parameter names', () => {
    uniqueName.guard(() => {
      const a = new Linear(2, 3, { weightAttr: c(1) });
      const b = new Linear(2, 3, { weightAttr: c(1) });
      expect(a.fullName()).toBe('linear_0');
      expect(b.fullName()).toBe('linear_1');
      expect(a.weight.name).toBe('linear_0.w_0');
      expect(a.bias!.name).toBe('linear_0.b_0');
      expect(b.weight.name).toBe('linear_1.w_0');
      expect(new Block().fullName()).toBe('block_0');
      expect(uniqueName.camelToSnake('BatchNorm2D')).toBe('batch_norm2d');
      expect(uniqueName.camelToSnake('MultiHeadAttention')).toBe('multi_head_attention');
      expect(uniqueName.camelToSnake('Conv2DTranspose')).toBe('conv2d_transpose');
      a.dispose();
      b.dispose();
    });
  });

  it('registers members by assignment in order, own parameters first', () => {
    const blk = new Block();
    expect(blk.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['scale', [1]],
      ['fc1.weight', [3, 4]],
      ['fc1.bias', [4]],
      ['fc2.weight', [4, 2]],
    ]);
    expect(blk.namedBuffers().map(([n]) => n)).toEqual(['steps']);
    expect([...blk.stateDict().keys()]).toEqual(['scale', 'steps', 'fc1.weight', 'fc1.bias', 'fc2.weight']);
    expect(blk.namedChildren().map(([n]) => n)).toEqual(['fc1', 'fc2']);
    blk.dispose();
  });

  it('uses structured names through containers and deduplicates shared parameters', () => {
    const shared = new Linear(2, 2, { weightAttr: c(1) });
    const net = new Sequential(
      ['embed', new Linear(2, 2, { weightAttr: c(1) })],
      ['body', new LayerList([shared, shared, new Linear(2, 2, { weightAttr: c(1), biasAttr: false })])],
    );
    const names = net.namedParameters().map(([n]) => n);
    expect(names).toEqual(['embed.weight', 'embed.bias', 'body.0.weight', 'body.0.bias', 'body.2.weight']);
    expect(net.parameters()).toHaveLength(5);
    // state_dict lists a shared parameter under every name, as Paddle does.
    expect([...net.stateDict().keys()]).toEqual([
      'embed.weight',
      'embed.bias',
      'body.0.weight',
      'body.0.bias',
      'body.1.weight',
      'body.1.bias',
      'body.2.weight',
    ]);
    expect(net.namedSublayers().map(([n]) => n)).toEqual(['embed', 'body', 'body.0', 'body.2']);
    expect(net.namedParameters('model').map(([n]) => n)[0]).toBe('model.embed.weight');
    net.dispose();
  });

  it('follows reassignment, null and delete', () => {
    const blk = new Block();
    const old = blk.fc2;
    blk.fc2 = new Linear(4, 5, { weightAttr: c(0) });
    expect(blk.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toContain('fc2.weight:4x5');
    expect(blk.namedChildren().map(([n]) => n)).toEqual(['fc1', 'fc2']);
    (blk as unknown as { fc1: unknown }).fc1 = null;
    expect(blk.namedChildren().map(([n]) => n)).toEqual(['fc2']);
    delete (blk as unknown as { fc2?: unknown }).fc2;
    expect(blk.children()).toEqual([]);
    expect(blk.namedParameters().map(([n]) => n)).toEqual(['scale']);
    old.dispose();
    blk.dispose();
  });

  it('rejects bad member names and types', () => {
    const l = new Layer();
    expect(() => l.addParameter('a.b', null)).toThrow(/must not contain "\."/);
    expect(() => l.addParameter('forward', null)).toThrow(/"forward" is already an attribute/);
    expect(() => l.addSublayer('x', zeros([1]) as unknown as InstanceType<typeof Layer>)).toThrow(/expected a Layer, got a Tensor of shape \[1\]/);
    expect(() => l.call()).toThrow(/Layer \(layer_\d+\) does not define forward/);
  });

  it('counts parameters of a model written with addSublayer / addParameter', () => {
    const m = new Layer();
    m.addSublayer('head', new Linear(4, 3, { weightAttr: c(0) }));
    m.addParameter('temperature', m.createParameter([1], { attr: c(1) }));
    expect(m.namedParameters().map(([n]) => n)).toEqual(['temperature', 'head.weight', 'head.bias']);
    expect(m.parameters().reduce((s, p) => s + p.size, 0)).toBe(1 + 12 + 3);
    m.dispose();
  });
});

describe('createParameter', () => {
  it('applies ParamAttr settings and returns null for attr false', () => {
    const l = new Layer();
    const p = l.createParameter([2, 3], {
      attr: { name: 'my_w', initializer: new I.Constant(0.5), learningRate: 0.1, trainable: false, needClip: false, regularizer: { kind: 'L2Decay', coeff: 1e-4 } },
    });
    expect(p.name).toBe('my_w');
    expect(p.toArray()).toEqual([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
    expect(p.learningRate).toBe(0.1);
    expect(p.trainable).toBe(false);
    expect(p.stopGradient).toBe(true);
    expect(p.needClip).toBe(false);
    expect(p.regularizer).toEqual({ kind: 'L2Decay', coeff: 1e-4 });
    expect(l.createParameter([2], { attr: false })).toBeNull();
    expect(l.createParameter([2], { attr: 'named' }).name).toBe('named');
    const b = l.createParameter([3], { isBias: true });
    expect(b.toArray()).toEqual([0, 0, 0]);
    expect(b.name).toMatch(/^layer_\d+\.b_0$/);
    expect(l.createParameter([2], { dtype: 'float64', attr: new I.Constant(3) }).dtype).toBe('float64');
    expect(() => l.createParameter([2, -1])).toThrow(/invalid shape \[2, -1\]/);
    expect(() => new ParamAttr({ learningRate: -1 })).toThrow(/learningRate must be a number >= 0/);
    for (const t of [p, b]) t.dispose();
  });

  it('prefers the global initializer over layer defaults but not over the attr', () => {
    I.setGlobalInitializer(new I.Constant(7), new I.Constant(-1));
    try {
      const l = new Linear(2, 2);
      expect(l.weight.toFlatArray()).toEqual([7, 7, 7, 7]);
      expect(l.bias!.toFlatArray()).toEqual([-1, -1]);
      const l2 = new Linear(2, 2, { weightAttr: new I.Constant(3) });
      expect(l2.weight.toFlatArray()).toEqual([3, 3, 3, 3]);
      l.dispose();
      l2.dispose();
    } finally {
      I.setGlobalInitializer(null);
    }
  });

  it('keeps parameters and buffers alive outside tidy and frees them on dispose', () => {
    const before = memory().numTensors;
    const blk = tidy(() => new Block());
    expect(blk.fc1.weight.isDisposed).toBe(false);
    expect(memory().numTensors).toBe(before + 5);
    blk.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('train / eval / apply / hooks / gradients', () => {
  it('switches modes recursively', () => {
    const net = new Sequential(new Block(), new LayerList([new Block()]));
    net.eval();
    expect(net.sublayers({ includeSelf: true }).every((l) => !l.training)).toBe(true);
    net.train();
    expect(net.sublayers({ includeSelf: true }).every((l) => l.training)).toBe(true);
    const seen: string[] = [];
    net.apply((l) => seen.push(l.constructor.name));
    // children first, then the layer itself
    expect(seen[seen.length - 1]).toBe('Sequential');
    expect(seen.filter((s) => s === 'Linear')).toHaveLength(4);
    net.dispose();
  });

  it('runs forward pre- and post-hooks through call(), and removes them', () => {
    const lin = new Linear(2, 1, { weightAttr: c(1) });
    const x = tensor([[1, 2]]);
    const pre = lin.registerForwardPreHook((_l, [inp]) => [multiply(inp as Tensor, 2)]);
    const post = lin.registerForwardPostHook((_l, _in, out) => multiply(out as Tensor, 10));
    expect(lin.call(x).toArray()).toEqual([[60]]);
    expect(lin.forward(x).toArray()).toEqual([[3]]);
    pre.remove();
    post.remove();
    expect(lin.call(x).toArray()).toEqual([[3]]);
    lin.dispose();
  });

  it('backpropagates into parameters and clears gradients', () => {
    const blk = new Block();
    const x = ones([5, 3]);
    backward(sum(blk.call(x)));
    for (const p of blk.parameters()) expect(p.grad).not.toBeNull();
    // d/dscale sum(fc2(fc1(x)) * scale) = sum(fc2(fc1(x))): fc1 gives 0.3 per unit, fc2 0.2·4·0.3.
    expect(blk.scale.grad!.toFlatArray()[0]).toBeCloseTo(5 * 2 * (4 * 0.3 * 0.2), 5);
    blk.clearGradients();
    for (const p of blk.parameters()) expect(p.grad).toBeNull();
    blk.dispose();
  });

  it('prints its structure', () => {
    const net = new Sequential(new Linear(2, 3, { weightAttr: c(0) }));
    expect(net.toString()).toBe('Sequential(\n  (0): Linear(in_features=2, out_features=3, dtype=float32)\n)');
    net.dispose();
  });
});

describe('containers', () => {
  it('Sequential chains, indexes, slices and accepts named pairs', () => {
    const a = new Linear(2, 3, { weightAttr: c(1) });
    const b = new Linear(3, 1, { weightAttr: c(1) });
    const seq = new Sequential(a, b);
    expect(seq.length).toBe(2);
    expect(seq.at(-1)).toBe(b);
    expect(seq.get('0')).toBe(a);
    expect(seq.call(tensor([[1, 1]])).toArray()).toEqual([[6]]);
    const s2 = seq.slice(1);
    expect(s2.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
    expect([...seq]).toEqual([a, b]);
    const named = new Sequential(['first', a], ['second', b]);
    expect(named.namedChildren().map(([n]) => n)).toEqual(['first', 'second']);
    expect(() => named.get('third')).toThrow(/no layer named "third"; names are first, second/);
    expect(() => new Sequential(['x', a], ['x', b])).toThrow(/duplicate layer name "x"/);
    seq.dispose();
  });

  it('LayerList appends, inserts, replaces and deletes with renumbering', () => {
    const ls = [0, 1, 2, 3].map((i) => new Linear(1, 1, { weightAttr: c(i) }));
    const list = new LayerList([ls[0]!, ls[1]!]);
    list.append(ls[3]!);
    list.insert(2, ls[2]!);
    expect([...list].map((l) => (l as InstanceType<typeof Linear>).weight.item())).toEqual([0, 1, 2, 3]);
    expect(list.namedChildren().map(([n]) => n)).toEqual(['0', '1', '2', '3']);
    expect(list.delete(0)).toBe(ls[0]);
    expect(list.namedParameters().map(([n]) => n)[0]).toBe('0.weight');
    expect((list.at(0) as InstanceType<typeof Linear>).weight.item()).toBe(1);
    list.set(-1, ls[0]!);
    expect(list.at(2)).toBe(ls[0]);
    expect(() => list.at(5)).toThrow(/index 5 is out of range for 3 entries/);
    expect(() => list.call()).toThrow(/does not define forward/);
    for (const l of ls) l.dispose();
  });

  it('LayerDict keeps insertion order, including numeric-looking keys', () => {
    const d = new LayerDict([
      ['b', new Linear(1, 1, { weightAttr: c(0) })],
      ['10', new Linear(1, 1, { weightAttr: c(0) })],
      ['2', new Linear(1, 1, { weightAttr: c(0) })],
    ]);
    expect(d.keys()).toEqual(['b', '10', '2']);
    expect(d.namedParameters().map(([n]) => n)).toEqual(['b.weight', 'b.bias', '10.weight', '10.bias', '2.weight', '2.bias']);
    const popped = d.pop('10');
    expect(d.keys()).toEqual(['b', '2']);
    expect(d.has('10')).toBe(false);
    d.set('z', popped);
    expect(d.length).toBe(3);
    d.dispose();
    d.clear();
    expect(d.length).toBe(0);
  });

  it('ParameterList names parameters by position', () => {
    const l = new Layer();
    const pl = new ParameterList([l.createParameter([2], { attr: c(1) }), l.createParameter([3], { attr: c(2) })]);
    expect(pl.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['0', [2]],
      ['1', [3]],
    ]);
    pl.append(l.createParameter([1], { attr: c(3) }));
    expect(pl.at(-1).item()).toBe(3);
    expect(pl.length).toBe(3);
    pl.dispose();
  });
});
