// Weight access for an f16 matrix [N, K] kept in half precision (the f16 arithmetic kernels; needs `enable f16;`,
// lib/enable_f16.wgsl). The same storage as lib/weights_f16.wgsl: IEEE halves two per u32 word, element 2i in the low
// 16 bits of word i; `bitcast<vec2<f16>>` reinterprets a word as its two halves (low half = .x), no widening.
// Binds @binding(8). K % 2 == 0 (every row starts on a word boundary).

@group(0) @binding(8) var<storage, read> w_f16: array<u32>;

// Columns k..k+3 of row n as f16 (k % 4 == 0, k < K); columns at or past K read as 0.
fn w_load4h(n: u32, k: u32, K: u32) -> vec4<f16> {
  let i = (n * K + k) >> 1u;
  // K is even, so k < K means columns k and k+1 exist, and k + 2 < K that k+2 and k+3 do
  let a = bitcast<vec2<f16>>(w_f16[i]);
  var b = vec2<f16>(0.0h);
  if (k + 2u < K) { b = bitcast<vec2<f16>>(w_f16[i + 1u]); }
  return vec4<f16>(a, b);
}
