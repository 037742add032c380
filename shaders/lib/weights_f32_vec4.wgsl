// Weight access for an f32 matrix [N, K] read as vec4 words (one load per four weights instead of four
// bounds-checked scalar loads). Same w_load4 as lib/weights_f32.wgsl; binds @binding(8).
// Needs K % 4 == 0 (so every row starts on a vec4) and k < K; the ops only pick it then.

@group(0) @binding(8) var<storage, read> w_f32v: array<vec4<f32>>;

// Columns k..k+3 of row n (k % 4 == 0).
fn w_load4(n: u32, k: u32, K: u32, gs: u32) -> vec4<f32> {
  return w_f32v[(n * K + k) >> 2u];
}

// w_raw4 / w_scale as in lib/weights_q8.wgsl: f32 weights are their own values with scale 1 (the coarse
// kernels walk f32 as one group of K columns).
fn w_raw4(n: u32, k: u32, K: u32) -> vec4<f32> {
  return w_f32v[(n * K + k) >> 2u];
}

fn w_scale(n: u32, k0: u32, K: u32, gs: u32) -> f32 {
  return 1.0;
}
