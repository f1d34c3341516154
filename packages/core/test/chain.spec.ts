import { tensor } from '../src';

describe('tensor methods', () => {
  it('chain the functional ops', () => {
    const x = tensor([[1, -2], [3, -4]], { stopGradient: false });
    const y = x.abs().add(1).multiply(x).sum();
    expect(y.item()).toBe(2 * 1 + 3 * -2 + 4 * 3 + 5 * -4);
    y.backward();
    // d/dx (|x|+1)·x = 2|x| + 1
    expect(x.grad!.toArray()).toEqual([[3, 5], [7, 9]]);
    expect(x.reshape([4]).shape).toEqual([4]);
    expect(x.transpose([1, 0]).toArray()).toEqual([[1, 3], [-2, -4]]);
    expect(x.astype('int32').dtype).toBe('int32');
    expect(x.getItem(1, ':').toArray()).toEqual([3, -4]);
    expect(x.matmul(x).toArray()).toEqual([[-5, 6], [-9, 10]]);
  });
});
