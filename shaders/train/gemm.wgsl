// General f32 matrix product for training: C[M, N] = alpha · op(A) · op(B) (+ C when accumulate).
// op(A) is [M, K]: A stored row-major [M, K] (trans_a = 0) or [K, M] (trans_a = 1, i.e. Aᵀ);
// op(B) is [K, N]: B stored [K, N] (trans_b = 0) or [N, K] (trans_b = 1).
// The gradients of a linear layer and of LoRA are all of this form (dW = dYᵀ·X, dX = dY·W, LoRA's
// u = X·Aᵀ, dB = s·dYᵀ·u, du = s·dY·B, dA = duᵀ·X, dX += du·A).
// Each invocation owns a 4 × 4 block of C and sums over k in order, one product at a time: no workgroup
// memory, no atomics, so the result depends only on the inputs (bit for bit the same on every run), and
// a row's values do not depend on how many rows there are.
// Dispatch: 1-D over ceil(M / 4) * ceil(N / 4) invocations (workgroups of 64), split over x/y.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  trans_a: u32,
  trans_b: u32,
  accumulate: u32,
  alpha: f32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

fn a_at(m: u32, k: u32) -> f32 {
  if (m >= P.M) { return 0.0; }
  if (P.trans_a == 1u) { return a[k * P.M + m]; }
  return a[m * P.K + k];
}

fn b_at(k: u32, n: u32) -> f32 {
  if (n >= P.N) { return 0.0; }
  if (P.trans_b == 1u) { return b[n * P.K + k]; }
  return b[k * P.N + n];
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  let nb = (P.N + 3u) / 4u;
  let mb = (P.M + 3u) / 4u;
  if (i >= nb * mb) { return; }
  let m0 = (i / nb) * 4u;
  let n0 = (i % nb) * 4u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k = 0u; k < P.K; k++) {
    let bv = vec4<f32>(b_at(k, n0), b_at(k, n0 + 1u), b_at(k, n0 + 2u), b_at(k, n0 + 3u));
    acc0 += a_at(m0, k) * bv;
    acc1 += a_at(m0 + 1u, k) * bv;
    acc2 += a_at(m0 + 2u, k) * bv;
    acc3 += a_at(m0 + 3u, k) * bv;
  }
  store_row(m0, n0, acc0);
  store_row(m0 + 1u, n0, acc1);
  store_row(m0 + 2u, n0, acc2);
  store_row(m0 + 3u, n0, acc3);
}

fn store_row(m: u32, n0: u32, acc: vec4<f32>) {
  if (m >= P.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < P.N) {
      let o = m * P.N + n;
      var v = P.alpha * acc[j];
      if (P.accumulate == 1u) { v = c[o] + v; }
      c[o] = v;
    }
  }
}
