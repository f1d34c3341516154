/**
 * Paddle Inference's `Config`: where the model is, which device runs it, and CPU threads.
 * Names follow the Python API in camelCase (`set_model` → `setModel`,
 * `set_cpu_math_library_num_threads` → `setCpuMathLibraryNumThreads`, `enable_xpu` → `enableXpu`).
 */

export class Config {
  private _modelDir: string | undefined;
  private _progFile: string | undefined;
  private _paramsFile: string | undefined;
  private _progBuffer: Uint8Array | undefined;
  private _paramsBuffer: Uint8Array | undefined;
  private _device = 'cpu';
  private _threads = 0;
  private _memoryOptim = true;
  private _irOptim = true;
  private _profile = false;
  private readonly _deletedPasses = new Set<string>();

  /**
   * `new Config(modelDir)` for a folder or archive (or a `.pdmodel` path or `jit.save` prefix);
   * `new Config(progFile, paramsFile)` for the two files of a combined model.
   */
  constructor(modelDirOrProgFile?: string, paramsFile?: string) {
    if (modelDirOrProgFile !== undefined) this.setModel(modelDirOrProgFile, paramsFile);
  }

  /** `setModel(dir)` or `setModel(progFile, paramsFile)`. */
  setModel(modelDirOrProgFile: string, paramsFile?: string): void {
    this._progBuffer = this._paramsBuffer = undefined;
    if (paramsFile === undefined) {
      this._modelDir = modelDirOrProgFile;
      this._progFile = this._paramsFile = undefined;
    } else {
      this._modelDir = undefined;
      this._progFile = modelDirOrProgFile;
      this._paramsFile = paramsFile;
    }
  }

  setProgFile(file: string): void {
    this._progFile = file;
    this._modelDir = undefined;
    this._progBuffer = undefined;
  }

  setParamsFile(file: string): void {
    this._paramsFile = file;
    this._paramsBuffer = undefined;
  }

  /** The model held in memory: a program and its combined parameters (Paddle's `set_model_buffer`). */
  setModelBuffer(program: Uint8Array, params: Uint8Array): void {
    this._progBuffer = program;
    this._paramsBuffer = params;
    this._modelDir = this._progFile = this._paramsFile = undefined;
  }

  modelDir(): string | undefined {
    return this._modelDir;
  }

  progFile(): string | undefined {
    return this._progFile;
  }

  paramsFile(): string | undefined {
    return this._paramsFile;
  }

  /** @internal */
  modelBuffers(): { program: Uint8Array; params: Uint8Array } | undefined {
    return this._progBuffer && this._paramsBuffer ? { program: this._progBuffer, params: this._paramsBuffer } : undefined;
  }

  modelFromMemory(): boolean {
    return this._progBuffer !== undefined;
  }

  /** Runs on `cpu` or `xpu:N`. */
  setDevice(device: string): void {
    const d = device.trim().toLowerCase();
    if (!/^(cpu|xpu(:\d+)?)$/.test(d)) throw new Error(`Config.setDevice: "${device}" is not "cpu", "xpu" or "xpu:N"`);
    this._device = d === 'xpu' ? 'xpu:0' : d;
  }

  device(): string {
    return this._device;
  }

  /** Runs on the accelerator `xpu:deviceId` (its backend must be registered, see @oar/xpu-backend). */
  enableXpu(deviceId = 0): void {
    if (!Number.isInteger(deviceId) || deviceId < 0) throw new Error(`Config.enableXpu: device id must be a non-negative integer, got ${deviceId}`);
    this._device = `xpu:${deviceId}`;
  }

  disableXpu(): void {
    this._device = 'cpu';
  }

  useXpu(): boolean {
    return this._device.startsWith('xpu');
  }

  xpuDeviceId(): number {
    return this.useXpu() ? Number(this._device.split(':')[1] ?? 0) : -1;
  }

  /**
   * Threads of the CPU math libraries, applied process-wide when a predictor is created (over
   * OAR_NUM_THREADS): oneDNN's OpenMP team takes it at once; OpenBLAS takes its count once, when it
   * is first loaded (changing it later made calls from Node much slower), so for OpenBLAS this
   * applies when the first predictor is created before any matrix product ran.
   */
  setCpuMathLibraryNumThreads(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`Config.setCpuMathLibraryNumThreads: expected a non-negative integer, got ${n}`);
    this._threads = n;
  }

  cpuMathLibraryNumThreads(): number {
    return this._threads;
  }

  /**
   * With memory optimization (the default) each intermediate is freed right after its last use;
   * without it, all are kept until the run ends (peak memory grows, debugging is easier).
   */
  enableMemoryOptim(on = true): void {
    this._memoryOptim = on;
  }

  memoryOptimEnabled(): boolean {
    return this._memoryOptim;
  }

  /**
   * With IR optimization (the default) the program is rewritten before it is planned: batch norms
   * folded into convolutions, biases, residual additions and activations fused into them (see
   * `framework.INFERENCE_PASS_NAMES`). Off, the program runs op for op as stored.
   */
  switchIrOptim(on = true): void {
    this._irOptim = on;
  }

  irOptim(): boolean {
    return this._irOptim;
  }

  /**
   * Times every operator of every run (Paddle's `enable_profile`); `predictor.profile()` and
   * `predictor.profileReport()` give the figures per operator type.
   */
  enableProfile(on = true): void {
    this._profile = on;
  }

  profileEnabled(): boolean {
    return this._profile;
  }

  /** Leaves one IR pass out (Paddle's `delete_pass`), by its Paddle name. */
  deletePass(name: string): void {
    this._deletedPasses.add(name);
  }

  deletedPasses(): ReadonlySet<string> {
    return this._deletedPasses;
  }

  /** One line per setting, like Paddle's `config.summary()`. */
  summary(): string {
    const rows: [string, string][] = [];
    if (this._progBuffer) rows.push(['model', `from memory (${this._progBuffer.length} + ${this._paramsBuffer?.length ?? 0} bytes)`]);
    else if (this._modelDir !== undefined) rows.push(['model dir', this._modelDir]);
    else {
      rows.push(['program file', this._progFile ?? '(unset)']);
      rows.push(['params file', this._paramsFile ?? '(unset)']);
    }
    rows.push(['device', this._device]);
    rows.push(['cpu math threads', this._threads ? String(this._threads) : 'library default']);
    rows.push(['memory optim', this._memoryOptim ? 'on' : 'off']);
    rows.push(['profile', this._profile ? 'on' : 'off']);
    rows.push(['ir optim', this._irOptim ? (this._deletedPasses.size ? `on, without ${[...this._deletedPasses].join(', ')}` : 'on') : 'off']);
    const w = Math.max(...rows.map(([k]) => k.length));
    return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
  }
}
