// Weight access for a Q8 matrix [N, K]: int8 values packed four to a u32 word (byte b of word i is
// element 4i+b, little-endian), one f32 scale per `gs` consecutive columns of a row: w = q * scale.
// Binds @binding(8) (the int8 bytes as u32 words) and @binding(9) (scales).
// K % gs == 0 and gs % 4 == 0; the caller keeps k < K.

@group(0) @binding(8) var<storage, read> w_q8: array<u32>;
@group(0) @binding(9) var<storage, read> w_scales: array<f32>;

// Columns k..k+3 of row n (k % 4 == 0), dequantised.
fn w_load4(n: u32, k: u32, K: u32, gs: u32) -> vec4<f32> {
  let e = n * K + k;
  return w_raw4(n, k, K) * w_scales[e / gs];
}

// Columns k..k+3 of row n as the stored integers (not scaled): kernels that walk a whole group of `gs`
// columns multiply by w_scale(n, k0) once per group instead of once per four weights.
fn w_raw4(n: u32, k: u32, K: u32) -> vec4<f32> {
  let word = bitcast<i32>(w_q8[(n * K + k) >> 2u]);
  // extractBits on i32 sign-extends the 8-bit field
  return vec4<f32>(
    f32(extractBits(word, 0u, 8u)),
    f32(extractBits(word, 8u, 8u)),
    f32(extractBits(word, 16u, 8u)),
    f32(extractBits(word, 24u, 8u)));
}

// The scale of the group that starts at column k0 of row n (k0 % gs == 0).
fn w_scale(n: u32, k0: u32, K: u32, gs: u32) -> f32 {
  return w_scales[(n * K + k0) / gs];
}
