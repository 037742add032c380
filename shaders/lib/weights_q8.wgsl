// Weight access for a Q8 matrix [N, K]: int8 values packed four to a u32 word (byte b of word i is
// element 4i+b, little-endian), one f32 scale per `gs` consecutive columns of a row: w = q * scale.
// Binds @binding(8) (the int8 bytes as u32 words) and @binding(9) (scales).
// K % gs == 0 and gs % 4 == 0; the caller keeps k < K.

@group(0) @binding(8) var<storage, read> w_q8: array<u32>;
@group(0) @binding(9) var<storage, read> w_scales: array<f32>;

// Columns k..k+3 of row n (k % 4 == 0), dequantised.
fn w_load4(n: u32, k: u32, K: u32, gs: u32) -> vec4<f32> {
  let e = n * K + k;
  let word = bitcast<i32>(w_q8[e >> 2u]);
  // extractBits on i32 sign-extends the 8-bit field
  let q = vec4<f32>(
    f32(extractBits(word, 0u, 8u)),
    f32(extractBits(word, 8u, 8u)),
    f32(extractBits(word, 16u, 8u)),
    f32(extractBits(word, 24u, 8u)));
  return q * w_scales[e / gs];
}
