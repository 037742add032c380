export { parseModelConfig, modelConfigToHfJson, SUPPORTED_ARCHITECTURES, type ModelConfig, type Architecture } from './config.ts';
export {
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsSync,
  decodeTensor,
  writeSafetensors,
  SafetensorsReader,
  bytesRangeReader,
  blobRangeReader,
  DTYPE_BYTES,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type Tensor,
  type TensorInfo,
  type TensorToWrite,
  type RangeReader,
  type ReadOptions,
} from './safetensors.ts';
export {
  loadModelWeights,
  streamModelWeights,
  checkCheckpoint,
  openCheckpoint,
  parseWeightMap,
  tensorSourceFromReaders,
  hfTensorsFromWeights,
  SINGLE_FILE,
  INDEX_FILE,
  type ModelWeights,
  type TensorSource,
  type OpenFile,
  type LoadWeightsOptions,
} from './weights.ts';
export { downloadWithResume, downloadToReader, sha256Hex, type DownloadOptions, type Downloaded, type DownloadedReader, type FetchLike } from './download.ts';
export { memoryByteCache, cacheStorageByteCache, defaultByteCache, type ByteCache } from './byteCache.ts';
export {
  urlModelSource,
  filesModelSource,
  loadModelFiles,
  hubManifest,
  modelBaseUrl,
  DEFAULT_REMOTE_HOST,
  DEFAULT_REMOTE_PATH_TEMPLATE,
  type ModelSource,
  type UrlSourceOptions,
  type ManifestEntry,
  type FileProgress,
  type FolderProgress,
  type LoadedModelFiles,
  type PickedFile,
} from './modelSource.ts';
export { f16ToF32, f32ToF16, f32ToBf16, bf16ArrayToF32, f16ArrayToF32 } from './dtype.ts';
