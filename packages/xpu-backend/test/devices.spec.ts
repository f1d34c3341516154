// Device selection as in Paddle: xpu / xpu:N, XPU_VISIBLE_DEVICES, FLAGS_selected_xpus.
import { parseXpuDevice, selectDevice, usableOrdinals } from '../src/runtime/devices';

describe('parseXpuDevice', () => {
  it('reads xpu and xpu:N', () => {
    expect(parseXpuDevice('xpu')).toBe(0);
    expect(parseXpuDevice('xpu:3')).toBe(3);
    expect(parseXpuDevice(' XPU:1 ')).toBe(1);
  });
  it('rejects other devices and malformed indices', () => {
    for (const bad of ['cpu', 'gpu:0', 'xpu:', 'xpu:-1', 'xpu:1.5', 'xpu:a', 'xpu0']) {
      expect(() => parseXpuDevice(bad)).toThrow(`invalid device "${bad}": expected "xpu" or "xpu:N"`);
    }
  });
});

describe('usableOrdinals', () => {
  it('is every driver device without the variables', () => {
    expect(usableOrdinals({}, 4)).toEqual([0, 1, 2, 3]);
    expect(usableOrdinals({}, 0)).toEqual([]);
  });
  it('renumbers XPU_VISIBLE_DEVICES from 0 in its order', () => {
    expect(usableOrdinals({ XPU_VISIBLE_DEVICES: '2,3' }, 4)).toEqual([2, 3]);
    expect(usableOrdinals({ XPU_VISIBLE_DEVICES: ' 3 , 1 ' }, 4)).toEqual([3, 1]);
  });
  it('hides every device when XPU_VISIBLE_DEVICES is empty', () => {
    expect(usableOrdinals({ XPU_VISIBLE_DEVICES: '' }, 4)).toEqual([]);
    expect(usableOrdinals({ XPU_VISIBLE_DEVICES: '  ' }, 4)).toEqual([]);
  });
  it('takes FLAGS_selected_xpus as indices into the visible devices', () => {
    expect(usableOrdinals({ FLAGS_selected_xpus: '1' }, 4)).toEqual([1]);
    expect(usableOrdinals({ FLAGS_selected_xpus: '1,0' }, 4)).toEqual([1, 0]);
    expect(usableOrdinals({ XPU_VISIBLE_DEVICES: '2,3', FLAGS_selected_xpus: '1' }, 4)).toEqual([3]);
    expect(usableOrdinals({ FLAGS_selected_xpus: '' }, 2)).toEqual([0, 1]); // empty flag: unset
  });
  it('says what is wrong with a malformed or impossible variable', () => {
    expect(() => usableOrdinals({ XPU_VISIBLE_DEVICES: '0,x' }, 4)).toThrow('XPU_VISIBLE_DEVICES="0,x": expected comma-separated device numbers such as "0,1", got "x"');
    expect(() => usableOrdinals({ XPU_VISIBLE_DEVICES: '1,1' }, 4)).toThrow('device 1 is listed twice');
    expect(() => usableOrdinals({ XPU_VISIBLE_DEVICES: '5' }, 2)).toThrow('XPU_VISIBLE_DEVICES="5" names device 5, but the driver has 2 device(s) (0..1)');
    expect(() => usableOrdinals({ XPU_VISIBLE_DEVICES: '2,3', FLAGS_selected_xpus: '2' }, 4)).toThrow(
      'FLAGS_selected_xpus="2" names device 2, but 2 device(s) are visible (XPU_VISIBLE_DEVICES="2,3")',
    );
  });
});

describe('selectDevice', () => {
  it('maps xpu:N to the driver ordinal', () => {
    expect(selectDevice('xpu', {}, 2)).toEqual({ device: 'xpu:0', index: 0, ordinal: 0 });
    expect(selectDevice('xpu:1', {}, 2)).toEqual({ device: 'xpu:1', index: 1, ordinal: 1 });
    expect(selectDevice('xpu:1', { XPU_VISIBLE_DEVICES: '4,6' }, 8)).toEqual({ device: 'xpu:1', index: 1, ordinal: 6 });
    expect(selectDevice(0, { FLAGS_selected_xpus: '3' }, 4)).toEqual({ device: 'xpu:0', index: 0, ordinal: 3 });
  });
  it('refuses an index past the usable devices, naming the limits', () => {
    expect(() => selectDevice('xpu:2', {}, 2)).toThrow('device xpu:2 does not exist (usable: xpu:0..xpu:1; the driver has 2)');
    expect(() => selectDevice('xpu', { XPU_VISIBLE_DEVICES: '' }, 2)).toThrow('device xpu:0 does not exist (none is usable; the driver has 2; XPU_VISIBLE_DEVICES="")');
    expect(() => selectDevice('xpu:1', { FLAGS_selected_xpus: '1' }, 2)).toThrow('usable: xpu:0..xpu:0; the driver has 2; FLAGS_selected_xpus="1"');
    expect(() => selectDevice(-1, {}, 2)).toThrow('invalid xpu index -1');
  });
});
