// Causal grouped-query attention for training, forward, keeping what backward needs: besides the output it
// writes each (row, head)'s softmax log-sum-exp, so backward recomputes the probabilities instead of storing
// a T × T matrix per head (FlashAttention's trick). q [T, n_heads, hd], k and v [T, n_kv, hd]; the T rows
// are B sequences of S rows each (T = B · S), row b·S + s at position s attends to rows b·S .. b·S + s;
// head h reads KV head h / (n_heads / n_kv). Scores scaled by `scale` (1 / sqrt(hd)).
// One invocation per (row, head): q and the output row in registers (hd % 4 == 0, hd ≤ 128), keys in
// order with an online softmax. Writes out [T, n_heads, hd] and lse [T, n_heads].
// Dispatch: 1-D over T * n_heads invocations (workgroups of 64), split over x/y.

struct Params {
  T: u32,
  S: u32,
  n_heads: u32,
  n_kv: u32,
  hd: u32,
  scale: f32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= P.T * P.n_heads) { return; }
  let t = i / P.n_heads;
  let h = i % P.n_heads;
  let h4 = P.hd / 4u;
  let kvh = h / (P.n_heads / P.n_kv);
  let first = (t / P.S) * P.S;
  var qr: array<vec4<f32>, 32>;
  var acc: array<vec4<f32>, 32>;
  let qo = (t * P.n_heads + h) * h4;
  for (var j = 0u; j < h4; j++) {
    qr[j] = q[qo + j];
    acc[j] = vec4<f32>(0.0);
  }
  var mx = -3.0e38;
  var sum = 0.0;
  for (var s = first; s <= t; s++) {
    let ko = (s * P.n_kv + kvh) * h4;
    var d = vec4<f32>(0.0);
    for (var j = 0u; j < h4; j++) { d += qr[j] * k[ko + j]; }
    let sc = (d.x + d.y + (d.z + d.w)) * P.scale;
    let nm = max(mx, sc);
    let corr = exp(mx - nm);
    let p = exp(sc - nm);
    sum = sum * corr + p;
    for (var j = 0u; j < h4; j++) { acc[j] = acc[j] * corr + p * v[ko + j]; }
    mx = nm;
  }
  let inv = 1.0 / sum;
  for (var j = 0u; j < h4; j++) { out[qo + j] = acc[j] * inv; }
  lse[t * P.n_heads + h] = mx + log(sum);
}
