// Tiled matmul for prefill computing in f16 (device with `shader-f16`; f16 weights only):
// y[T, N] = x[T, K] · Wᵀ (+ bias) (+ y when accumulate), the same Params, bindings, dispatch, epilogue and split output
// as matmul.wgsl, so ops/matmul.ts swaps one for the other (variant `tiled-f16`). Concatenated after
// lib/enable_f16.wgsl (first: `enable f16;` must open the module), lib/weights_f16h.wgsl and lib/split_out.wgsl.
// Workgroup: 16x16 threads, a 64x64 output tile, K in steps of 32 through workgroup memory held as vec4<f16> along k
// (8 KiB for both tiles, half of matmul.wgsl's 16 KiB). Dispatch: (ceil(N / 64), ceil(T / 64), 1).
// Precision: x is rounded to f16 as a tile is loaded, the weights are read as the halves they are stored as, and each
// 4 k values are one `dot(vec4<f16>, vec4<f16>)` (f16 products and 4-term sums); the partial sums are accumulated in
// f32, so the error grows with √K like a rounding per term, not with K. Bias, accumulate, epilogue and split in f32.
// |x| past f16's 65504 does not fit (the conversion is implementation-defined past it): the op is for activations
// that fit in f16, as the weights do.

struct Params {
  T: u32,
  N: u32,
  K: u32,
  gs: u32,         // unused (f16 has no groups)
  has_bias: u32,
  accumulate: u32, // 1: y += x·Wᵀ
  epilogue: u32,   // 0 none, 1 residual aux += y, 2 SwiGLU aux = silu(aux)·y
  split1: u32,     // split output (lib/split_out.wgsl): first column of out2, 0 = no split
  split2: u32,     // first column of out3
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> aux: array<f32>; // the epilogue's target (a dummy when none)

const TM = 64u;
const TN = 64u;
const TK = 32u;
const TQ = 8u; // TK / 4: vec4 groups of k per tile

// Tiles stored k-major ([TQ][TM] of vec4 along k) so the inner loop reads consecutive addresses across threads.
var<workgroup> xs: array<vec4<f16>, 512>;
var<workgroup> ws: array<vec4<f16>, 512>;

fn x_load4(t: u32, k: u32) -> vec4<f32> {
  let base = t * P.K + k;
  var v = vec4<f32>(0.0);
  if (k < P.K) { v.x = x[base]; }
  if (k + 1u < P.K) { v.y = x[base + 1u]; }
  if (k + 2u < P.K) { v.z = x[base + 2u]; }
  if (k + 3u < P.K) { v.w = x[base + 3u]; }
  return v;
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let n0 = wid.x * TN;
  let t0 = wid.y * TM;
  var acc: array<f32, 16>; // acc[i * 4 + j]: row t0 + lid.y + 16 i, column n0 + lid.x + 16 j

  for (var k0 = 0u; k0 < P.K; k0 += TK) {
    // 64 rows x 8 groups of 4 columns = 512 vec4 per tile, 2 per thread
    for (var r = 0u; r < 2u; r++) {
      let idx = li + r * 256u;
      let m = idx / TQ;
      let q = idx % TQ;
      let k = k0 + q * 4u;
      var xv = vec4<f16>(0.0h);
      // clamped into f16's range: an activation past ±65504 saturates instead of becoming ±inf (and NaN downstream)
      if (t0 + m < P.T) { xv = vec4<f16>(clamp(x_load4(t0 + m, k), vec4<f32>(-65504.0), vec4<f32>(65504.0))); }
      var wv = vec4<f16>(0.0h);
      if (n0 + m < P.N && k < P.K) { wv = w_load4h(n0 + m, k, P.K); }
      xs[q * TM + m] = xv;
      ws[q * TN + m] = wv;
    }
    workgroupBarrier();
    for (var q = 0u; q < TQ; q++) {
      var a: array<vec4<f16>, 4>;
      var b: array<vec4<f16>, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = xs[q * TM + lid.y + 16u * i]; }
      for (var j = 0u; j < 4u; j++) { b[j] = ws[q * TN + lid.x + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] += f32(dot(a[i], b[j]));
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let t = t0 + lid.y + 16u * i;
    if (t >= P.T) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x + 16u * j;
      if (n >= P.N) { continue; }
      store_out(t, n, acc[i * 4u + j]);
    }
  }
}
