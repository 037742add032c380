// Weight access for an f32 matrix [N, K] read as vec4 words (one load per four weights instead of four
// bounds-checked scalar loads). Same w_load4 as lib/weights_f32.wgsl; binds @binding(8).
// Needs K % 4 == 0 (so every row starts on a vec4) and k < K; the ops only pick it then.

@group(0) @binding(8) var<storage, read> w_f32v: array<vec4<f32>>;

// Columns k..k+3 of row n (k % 4 == 0).
fn w_load4(n: u32, k: u32, K: u32, gs: u32) -> vec4<f32> {
  return w_f32v[(n * K + k) >> 2u];
}
