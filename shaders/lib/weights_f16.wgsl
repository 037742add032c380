// Weight access for an f16 matrix [N, K] (row-major, PyTorch [out, in]): IEEE binary16 values packed two per
// u32 word (element 2i in the low 16 bits of word i, element 2i+1 in the high bits), widened to f32 by the core
// builtin unpack2x16float. Only the storage is half precision: all arithmetic stays f32, so this needs no
// `shader-f16` feature and runs on every adapter (SwiftShader included). Binds @binding(8).
// K % 2 == 0 (every row starts on a word boundary); w_load4 reads columns at or past K as 0, w_raw4 needs
// k + 3 < K (the coarse kernels, K % 4 == 0). Same functions as lib/weights_q8.wgsl, with scale 1: the coarse
// kernels walk f16 as one group of K columns, as they walk f32.

@group(0) @binding(8) var<storage, read> w_f16: array<u32>;

// Columns k..k+3 of row n (k % 4 == 0, k < K).
fn w_load4(n: u32, k: u32, K: u32, gs: u32) -> vec4<f32> {
  let i = (n * K + k) >> 1u;
  // K is even, so k < K means columns k and k+1 exist, and k + 2 < K that k+2 and k+3 do
  var v = vec4<f32>(unpack2x16float(w_f16[i]), 0.0, 0.0);
  if (k + 2u < K) {
    let b = unpack2x16float(w_f16[i + 1u]);
    v.z = b.x;
    v.w = b.y;
  }
  return v;
}

// Columns k..k+3 of row n as stored (the values themselves: f16 has no scale).
fn w_raw4(n: u32, k: u32, K: u32) -> vec4<f32> {
  let i = (n * K + k) >> 1u;
  return vec4<f32>(unpack2x16float(w_f16[i]), unpack2x16float(w_f16[i + 1u]));
}

fn w_scale(n: u32, k0: u32, K: u32, gs: u32) -> f32 {
  return 1.0;
}
