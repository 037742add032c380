// Matrix-vector product for decode (T = 1, or a few rows): y[T, N] = x[T, K] · Wᵀ (+ bias) (+ y when
// accumulate). W's format comes from a lib/weights_*.wgsl snippet concatenated in front (f32/f16/q8/q4,
// dequantised on the fly). Workgroup: 256 threads = 8 output rows x 32 lanes splitting K; lanes reduce
// through workgroup memory.
// Dispatch: (ceil(N / 8), T, 1).
// Epilogue (as in matmul_coarse.wgsl: fuses the op the model runs next on y, saving a dispatch; y is written
// either way): 1 = residual: aux[o] += y[o]; 2 = SwiGLU: aux[o] = silu(aux[o]) · y[o] (y = up, aux = gate).
// Split output (lib/split_out.wgsl, concatenated in front): split1 > 0 sends columns [0, split1), [split1, split2)
// and [split2, N) to y, out2 and out3, each at its own width (bias still indexed by n); never with an epilogue.
// Norm prologue (P.norm = 1: the RMSNorm before the matmul folded into it): x is the un-normed rows and the kernel
// multiplies with h = x · r · w_norm (r = 1 / sqrt(mean(x[t]²) + eps), w_norm from lib/norm_w_*.wgsl), each
// workgroup reducing its row's sum of squares itself exactly as rms_norm.wgsl does (256 threads, same strides, same
// tree), so h and y are bit for bit those of rms_norm.wgsl + this kernel. The workgroups of the first column block
// (wid.x = 0) also write h (all K values of row t) to `aux` (no epilogue) or `out2` (with an epilogue: no split
// then), for the later readers of h.

struct Params {
  T: u32,
  N: u32,
  K: u32,
  gs: u32,
  has_bias: u32,
  accumulate: u32,
  epilogue: u32, // 0 none, 1 residual, 2 SwiGLU (see above)
  split1: u32,     // split output (lib/split_out.wgsl): first column of out2, 0 = no split
  split2: u32,     // first column of out3
  norm: u32,       // 1: norm prologue (see above)
  eps: f32,        // its epsilon
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> aux: array<f32>; // the epilogue's target (a dummy when none)

const ROWS = 8u;
const LANES = 32u;

var<workgroup> part: array<f32, 256>;

fn x_load4(t: u32, k: u32) -> vec4<f32> {
  let base = t * P.K + k;
  var v = vec4<f32>(0.0);
  if (k < P.K) { v.x = x[base]; }
  if (k + 1u < P.K) { v.y = x[base + 1u]; }
  if (k + 2u < P.K) { v.z = x[base + 2u]; }
  if (k + 3u < P.K) { v.w = x[base + 3u]; }
  return v;
}

// h = x · inv · w_norm (the same expression, in the same order, as rms_norm.wgsl), zero past K
fn h_load4(t: u32, k: u32, inv: f32) -> vec4<f32> {
  let base = t * P.K + k;
  var v = vec4<f32>(0.0);
  if (k < P.K) { v.x = x[base] * inv * norm_w(k); }
  if (k + 1u < P.K) { v.y = x[base + 1u] * inv * norm_w(k + 1u); }
  if (k + 2u < P.K) { v.z = x[base + 2u] * inv * norm_w(k + 2u); }
  if (k + 3u < P.K) { v.w = x[base + 3u] * inv * norm_w(k + 3u); }
  return v;
}

// the norm prologue's side output h: aux when there is no epilogue, else out2 (an epilogue never comes with a split)
fn h_set(i: u32, v: f32) {
  if (P.epilogue == 0u) {
    aux[i] = v;
  } else {
    out2[i] = v;
  }
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let lane = li % LANES;
  let n = wid.x * ROWS + li / LANES;
  let t = wid.y;
  var s = 0.0;
  if (P.norm != 0u) {
    // rms_norm.wgsl's reduction of row t, in `part`
    let base = t * P.K;
    var ss = 0.0;
    for (var i = li; i < P.K; i += ROWS * LANES) {
      let v = x[base + i];
      ss = fma(v, v, ss);
    }
    part[li] = ss;
    workgroupBarrier();
    for (var off = ROWS * LANES / 2u; off > 0u; off >>= 1u) {
      if (li < off) { part[li] += part[li + off]; }
      workgroupBarrier();
    }
    let inv = 1.0 / sqrt(part[0] / f32(P.K) + P.eps);
    workgroupBarrier(); // part[0] read by all before part is reused below
    if (wid.x == 0u) {
      for (var i = li; i < P.K; i += ROWS * LANES) { h_set(base + i, x[base + i] * inv * norm_w(i)); }
    }
    if (n < P.N) {
      for (var k = lane * 4u; k < P.K; k += LANES * 4u) {
        s += dot(h_load4(t, k, inv), w_load4(n, k, P.K, P.gs));
      }
    }
  } else if (n < P.N) {
    for (var k = lane * 4u; k < P.K; k += LANES * 4u) {
      s += dot(x_load4(t, k), w_load4(n, k, P.K, P.gs));
    }
  }
  part[li] = s;
  workgroupBarrier();
  for (var off = LANES / 2u; off > 0u; off >>= 1u) {
    if (lane < off) { part[li] += part[li + off]; }
    workgroupBarrier();
  }
  if (lane == 0u && n < P.N) {
    store_out(t, n, part[li]);
  }
}
