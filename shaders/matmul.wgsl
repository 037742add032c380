// Tiled matmul for prefill (T > 1): y[T, N] = x[T, K] · Wᵀ (+ bias) (+ y when accumulate).
// W is [N, K] (PyTorch [out, in]); its format comes from a lib/weights_*.wgsl snippet concatenated in
// front of this file (f32, f16, q8 or q4: widening / dequantisation happens while a tile is loaded).
// Workgroup: 16x16 threads, a 64x64 output tile, K in steps of 32 through workgroup memory (16 KiB).
// Dispatch: (ceil(N / 64), ceil(T / 64), 1).
// Epilogue (as in matmul_coarse.wgsl: fuses the op the model runs next on y, saving a dispatch; y is written
// either way): 1 = residual: aux[o] += y[o]; 2 = SwiGLU: aux[o] = silu(aux[o]) · y[o] (y = up, aux = gate).
// Split output (lib/split_out.wgsl, concatenated in front): split1 > 0 sends columns [0, split1), [split1, split2)
// and [split2, N) to y, out2 and out3, each at its own width (bias still indexed by n); never with an epilogue.

struct Params {
  T: u32,
  N: u32,
  K: u32,
  gs: u32,         // group size of quantised weights (unused for f32)
  has_bias: u32,
  accumulate: u32, // 1: y += x·Wᵀ
  epilogue: u32,   // 0 none, 1 residual, 2 SwiGLU (see above)
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

// Tiles stored k-major ([TK][TM]) so the inner loop reads consecutive addresses across threads.
var<workgroup> xs: array<f32, 2048>;
var<workgroup> ws: array<f32, 2048>;

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
      let m = idx / 8u;
      let kq = (idx % 8u) * 4u;
      let k = k0 + kq;
      var xv = vec4<f32>(0.0);
      if (t0 + m < P.T) { xv = x_load4(t0 + m, k); }
      var wv = vec4<f32>(0.0);
      if (n0 + m < P.N && k < P.K) { wv = w_load4(n0 + m, k, P.K, P.gs); }
      xs[(kq + 0u) * TM + m] = xv.x;
      xs[(kq + 1u) * TM + m] = xv.y;
      xs[(kq + 2u) * TM + m] = xv.z;
      xs[(kq + 3u) * TM + m] = xv.w;
      ws[(kq + 0u) * TN + m] = wv.x;
      ws[(kq + 1u) * TN + m] = wv.y;
      ws[(kq + 2u) * TN + m] = wv.z;
      ws[(kq + 3u) * TN + m] = wv.w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = xs[kk * TM + lid.y + 16u * i]; }
      for (var j = 0u; j < 4u; j++) { b[j] = ws[kk * TN + lid.x + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]);
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
