// Weight access for a Q4 matrix [N, K]: two 4-bit values per byte (low nibble = even column), read as
// u32 words (nibble j of word i is element 8i+j), one f32 scale per `gs` consecutive columns of a row:
// w = (nibble - 8) * scale. Binds @binding(8) (packed words) and @binding(9) (scales).
// K % gs == 0 and gs % 8 == 0; the caller keeps k < K.

@group(0) @binding(8) var<storage, read> w_q4: array<u32>;
@group(0) @binding(9) var<storage, read> w_scales: array<f32>;

// Columns k..k+3 of row n (k % 4 == 0), dequantised.
fn w_load4(n: u32, k: u32, K: u32, gs: u32) -> vec4<f32> {
  let e = n * K + k;
  return w_raw4(n, k, K) * w_scales[e / gs];
}

// Columns k..k+3 of row n as the stored integers minus 8 (not scaled): kernels that walk a whole group of
// `gs` columns multiply by w_scale(n, k0) once per group instead of once per four weights.
fn w_raw4(n: u32, k: u32, K: u32) -> vec4<f32> {
  let e = n * K + k;
  let word = w_q4[e >> 3u] >> ((e & 7u) * 4u);
  return vec4<f32>(
    f32(word & 15u),
    f32((word >> 4u) & 15u),
    f32((word >> 8u) & 15u),
    f32((word >> 12u) & 15u)) - vec4<f32>(8.0);
}

// The scale of the group that starts at column k0 of row n (k0 % gs == 0).
fn w_scale(n: u32, k0: u32, K: u32, gs: u32) -> f32 {
  return w_scales[(n * K + k0) / gs];
}
