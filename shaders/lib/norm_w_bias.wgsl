// Norm prologue of the decode matmul kernels (gemv.wgsl, matmul_coarse.wgsl's `gemv`; P.norm = 1): the RMSNorm
// weight read from the `bias` binding, which holds it when the matmul has no bias of its own (has_bias = 0), so the
// prologue costs no binding. Concatenated in front of the kernel (uses its `bias`); also the default when P.norm = 0
// (then never called).
fn norm_w(k: u32) -> f32 {
  return bias[k];
}
