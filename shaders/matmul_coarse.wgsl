// Coarse matmul: y[T, N] = x[T, K] · Wᵀ (+ bias) (+ y when accumulate), W [N, K] in any format of a
// lib/weights_*.wgsl snippet (f32 as vec4 words, f16, q8, q4), dequantisation fused: the integers are summed
// against x over a group of gs columns and the group's scale applied once. Needs K % 4 == 0 (f32, f16: gs = K).
//
// Why a second matmul: on a fallback adapter (SwiftShader, where WebGPU runs on a couple of CPU threads,
// four invocations per SIMD lane group) every workgroupBarrier is a coroutine switch of the whole
// workgroup and workgroup memory buys nothing over the CPU's caches, so the shared-memory tiles of
// matmul.wgsl and the split-K reduction of gemv.wgsl cost far more than their arithmetic (measured: 15–60×).
// Here each invocation owns a register block and loops over all of K by itself: no barrier, no workgroup
// memory, one vec4 load of x feeds four output columns and one dequantised vec4 of W feeds TB tokens.
// It is still an ordinary data-parallel GPU kernel (one invocation per 4 columns × TB tokens, 32 per
// workgroup), just coarser than what a real GPU prefers; ops/matmul.ts picks it for fallback adapters and
// keeps the tiled / split-K kernels for real GPUs.
// Entries: `main` (TB = 8 tokens per invocation, prefill), dispatch (ceil(N / 128), ceil(T / 8), 1);
//          `gemv` (one token per invocation, decode), dispatch (ceil(N / 128), T, 1).
// Blocks past N or T load the last valid row / token (always in bounds) and skip the store.
// Epilogue (fuses the op the model runs next on y, saving a dispatch; y is written either way):
//   1 = residual: aux[o] += y[o] (the residual add after o_proj / down_proj);
//   2 = SwiGLU:   aux[o] = silu(aux[o]) · y[o] (y = up, aux = gate, same formula as silu_mul.wgsl).
// Split output (lib/split_out.wgsl, concatenated in front): split1 > 0 sends columns [0, split1), [split1, split2)
// and [split2, N) to y, out2 and out3, each at its own width (bias still indexed by n); never with an epilogue.
// Norm prologue (`gemv` only, P.norm = 1: the RMSNorm before the matmul folded into it): x is the un-normed rows and
// the kernel multiplies with h = x · r · w_norm (r = 1 / sqrt(mean(x[t]²) + eps), w_norm from lib/norm_w_*.wgsl),
// each invocation summing its row's squares itself exactly as rms_norm_coarse.wgsl does (vec4 fma over the row,
// then (x + y) + (z + w)), so h and y are bit for bit those of rms_norm_coarse.wgsl + this kernel. The invocations
// of the first column block (gid.x = 0) also write h (all K values of row t) to `aux` (no epilogue) or `out2` (with
// an epilogue: no split then), for the later readers of h.

struct Params {
  T: u32,
  N: u32,
  K: u32,
  gs: u32,         // group size of quantised weights; K for f32 (K is walked group by group)
  has_bias: u32,
  accumulate: u32, // 1: y += x·Wᵀ
  epilogue: u32,   // 0 none, 1 residual, 2 SwiGLU (see above)
  split1: u32,     // split output (lib/split_out.wgsl): first column of out2, 0 = no split
  split2: u32,     // first column of out3
  norm: u32,       // 1: norm prologue, `gemv` only (see above)
  eps: f32,        // its epsilon
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> aux: array<f32>; // the epilogue's target (a dummy when none)

const TB = 8u;

// the norm prologue's side output h: aux when there is no epilogue, else out2 (an epilogue never comes with a split)
fn h_set(i: u32, v: f32) {
  if (P.epilogue == 0u) {
    aux[i] = v;
  } else {
    out2[i] = v;
  }
}

fn norm_w4(k: u32) -> vec4<f32> {
  return vec4<f32>(norm_w(k), norm_w(k + 1u), norm_w(k + 2u), norm_w(k + 3u));
}

fn store4(t: u32, n0: u32, v: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < P.N) { store_out(t, n, v[j]); }
  }
}

@compute @workgroup_size(32, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let t0 = gid.y * TB;
  if (n0 >= P.N || t0 >= P.T) { return; }
  let last = P.N - 1u;
  let n1 = min(n0 + 1u, last);
  let n2 = min(n0 + 2u, last);
  let n3 = min(n0 + 3u, last);
  let K4 = P.K / 4u;
  var xrow: array<u32, 8>; // first vec4 of each token's row (tokens past T repeat the last one)
  for (var i = 0u; i < TB; i++) { xrow[i] = min(t0 + i, P.T - 1u) * K4; }
  var acc: array<vec4<f32>, 8>;
  // K in groups of gs columns (f32: one group of K): raw products summed per group, scaled once per group and row
  for (var g0 = 0u; g0 < P.K; g0 += P.gs) {
    var part: array<vec4<f32>, 8>;
    // zeroed by hand: SwiftShader kept the previous iteration's values in a zero-initialised loop-body array
    for (var i = 0u; i < TB; i++) { part[i] = vec4<f32>(0.0); }
    for (var k = g0; k < g0 + P.gs; k += 4u) {
      let w0 = w_raw4(n0, k, P.K);
      let w1 = w_raw4(n1, k, P.K);
      let w2 = w_raw4(n2, k, P.K);
      let w3 = w_raw4(n3, k, P.K);
      let k4 = k / 4u;
      for (var i = 0u; i < TB; i++) {
        let a = x[xrow[i] + k4];
        part[i] += vec4<f32>(dot(a, w0), dot(a, w1), dot(a, w2), dot(a, w3));
      }
    }
    let sc = vec4<f32>(w_scale(n0, g0, P.K, P.gs), w_scale(n1, g0, P.K, P.gs), w_scale(n2, g0, P.K, P.gs), w_scale(n3, g0, P.K, P.gs));
    for (var i = 0u; i < TB; i++) { acc[i] = fma(part[i], sc, acc[i]); }
  }
  for (var i = 0u; i < TB; i++) {
    if (t0 + i < P.T) { store4(t0 + i, n0, acc[i]); }
  }
}

@compute @workgroup_size(32, 1, 1)
fn gemv(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let t = gid.y;
  if (n0 >= P.N || t >= P.T) { return; }
  let last = P.N - 1u;
  let n1 = min(n0 + 1u, last);
  let n2 = min(n0 + 2u, last);
  let n3 = min(n0 + 3u, last);
  let K4 = P.K / 4u;
  let xb = t * K4;
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var s3 = vec4<f32>(0.0);
  var inv = 1.0;
  if (P.norm != 0u) {
    // rms_norm_coarse.wgsl's sum of squares of row t
    var ss = vec4<f32>(0.0);
    for (var i = 0u; i < K4; i++) {
      let v = x[xb + i];
      ss = fma(v, v, ss);
    }
    inv = 1.0 / sqrt(((ss.x + ss.y) + (ss.z + ss.w)) / f32(P.K) + P.eps);
    if (gid.x == 0u) {
      for (var i = 0u; i < K4; i++) {
        let hv = x[xb + i] * inv * norm_w4(i * 4u);
        let o = (xb + i) * 4u;
        h_set(o, hv.x);
        h_set(o + 1u, hv.y);
        h_set(o + 2u, hv.z);
        h_set(o + 3u, hv.w);
      }
    }
  }
  // K in groups of gs columns (f32: one group of K): raw products summed per group, scaled once per group and row
  for (var g0 = 0u; g0 < P.K; g0 += P.gs) {
    var r0 = vec4<f32>(0.0);
    var r1 = vec4<f32>(0.0);
    var r2 = vec4<f32>(0.0);
    var r3 = vec4<f32>(0.0);
    // the norm test outside the hot loop: a branch inside it cost SwiftShader ~10% of a decode step (71 vs 78 tok/s)
    if (P.norm != 0u) {
      for (var k = g0; k < g0 + P.gs; k += 4u) {
        let a = x[xb + k / 4u] * inv * norm_w4(k);
        r0 = fma(a, w_raw4(n0, k, P.K), r0);
        r1 = fma(a, w_raw4(n1, k, P.K), r1);
        r2 = fma(a, w_raw4(n2, k, P.K), r2);
        r3 = fma(a, w_raw4(n3, k, P.K), r3);
      }
    } else {
      for (var k = g0; k < g0 + P.gs; k += 4u) {
        let a = x[xb + k / 4u];
        r0 = fma(a, w_raw4(n0, k, P.K), r0);
        r1 = fma(a, w_raw4(n1, k, P.K), r1);
        r2 = fma(a, w_raw4(n2, k, P.K), r2);
        r3 = fma(a, w_raw4(n3, k, P.K), r3);
      }
    }
    s0 = fma(r0, vec4<f32>(w_scale(n0, g0, P.K, P.gs)), s0);
    s1 = fma(r1, vec4<f32>(w_scale(n1, g0, P.K, P.gs)), s1);
    s2 = fma(r2, vec4<f32>(w_scale(n2, g0, P.K, P.gs)), s2);
    s3 = fma(r3, vec4<f32>(w_scale(n3, g0, P.K, P.gs)), s3);
  }
  let h = vec4<f32>(1.0);
  store4(t, n0, vec4<f32>(dot(s0, h), dot(s1, h), dot(s2, h), dot(s3, h)));
}
