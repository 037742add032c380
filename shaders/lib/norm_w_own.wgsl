// Norm prologue of the decode matmul kernels (see lib/norm_w_bias.wgsl): the RMSNorm weight at its own binding,
// for a matmul with a bias (one more storage buffer: ops/matmul.ts uses it only where the device's
// maxStorageBuffersPerShaderStage allows, `normPrologueFits`).
@group(0) @binding(7) var<storage, read> norm_weight: array<f32>;

fn norm_w(k: u32) -> f32 {
  return norm_weight[k];
}
