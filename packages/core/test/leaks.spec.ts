import { spawnSync } from 'child_process';
import * as path from 'path';

describe('leak detector', () => {
  it('OAR_DEBUG_LEAKS=1 reports tensors collected without dispose(), with where they were made', () => {
    const script = path.join(__dirname, 'fixtures', 'engine', 'leak-script.ts');
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, OAR_DEBUG_LEAKS: '1' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(r.status).toBe(0);
    const reports = r.stderr.split('\n').filter((l) => l.includes('[oar] leak'));
    expect(reports).toHaveLength(1);
    expect(r.stderr).toMatch(/leak-script\.ts/);
  }, 60000);
});
