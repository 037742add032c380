// Weight access for an f32 matrix [N, K] (row-major, PyTorch [out, in]).
// Concatenated in front of a kernel that calls w_load4; binds @binding(8).
// K may be anything: columns at or past K read as 0.

@group(0) @binding(8) var<storage, read> w_f32: array<f32>;

// Columns k..k+3 of row n (k % 4 == 0).
fn w_load4(n: u32, k: u32, K: u32, gs: u32) -> vec4<f32> {
  let base = n * K + k;
  var v = vec4<f32>(0.0);
  if (k < K) { v.x = w_f32[base]; }
  if (k + 1u < K) { v.y = w_f32[base + 1u]; }
  if (k + 2u < K) { v.z = w_f32[base + 2u]; }
  if (k + 3u < K) { v.w = w_f32[base + 3u]; }
  return v;
}
