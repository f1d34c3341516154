/**
 * @oar/xpu-backend: the accelerator device `xpu` of Oar. Its driver today is CUDA, reached through
 * koffi. Nothing is loaded at import; call registerXpuBackend() to make `xpu` a device of the engine.
 */
export { registerXpuBackend } from './register';
export { isAvailable, type Availability, type XpuDeviceInfo } from './runtime/available';
export { selectDevice, usableOrdinals, parseXpuDevice, type DeviceSelection } from './runtime/devices';
export { CachingAllocator, OutOfMemoryError, sizeClass, type AllocatorMemory, type DeviceMemory } from './runtime/allocator';
export { XpuBackend, type XpuBuffer } from './runtime/xpu-backend';
export { discoverLibrary, discoverAll, CUDA_LIBRARIES, type CudaLibrary, type Candidate, type Discovery } from './ffi/discovery';
export { CudaError, NvrtcError } from './ffi/errors';
