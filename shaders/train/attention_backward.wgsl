// Causal grouped-query attention backward (FlashAttention-2 style, recomputing the probabilities from the
// forward's log-sum-exp: p[t, s] = exp(q_t · k_s · scale − lse[t, h])). Layout and masking as
// attention_train.wgsl (B sequences of S rows; row t attends to rows of its sequence up to itself).
// `delta` (per (row, head)): D[t, h] = Σ_i dout[t, h, i] · out[t, h, i].
// `dq` (per (row, head)): dq_t = scale · Σ_{s ≤ t} p · (dout_t · v_s − D[t, h]) · k_s.
// `dkv` (per (key row, KV head)): over the query heads h of its group and the rows t ≥ s of its sequence,
//   dv_s = Σ p · dout_t;  dk_s = scale · Σ p · (dout_t · v_s − D[t, h]) · q_t.
// dq, dk and dv are added to (backward ops accumulate). Each invocation owns its output rows and sums in a fixed order: no atomics, the same bits on every run.
// hd % 4 == 0, hd ≤ 128. Dispatch: 1-D over T * n_heads (`delta`, `dq`) or T * n_kv (`dkv`) invocations,
// workgroups of 64, split over x/y.

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
@group(0) @binding(4) var<storage, read> out: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read> dout: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> delta_rows: array<f32>;
@group(0) @binding(8) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> dv: array<vec4<f32>>;

fn flat(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + li;
}

fn hsum(d: vec4<f32>) -> f32 {
  return d.x + d.y + (d.z + d.w);
}

@compute @workgroup_size(64, 1, 1)
fn delta(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat(wid, nwg, li);
  if (i >= P.T * P.n_heads) { return; }
  let h4 = P.hd / 4u;
  let o = i * h4;
  var d = vec4<f32>(0.0);
  for (var j = 0u; j < h4; j++) { d += dout[o + j] * out[o + j]; }
  delta_rows[i] = hsum(d);
}

@compute @workgroup_size(64, 1, 1)
fn dq_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat(wid, nwg, li);
  if (i >= P.T * P.n_heads) { return; }
  let t = i / P.n_heads;
  let h = i % P.n_heads;
  let h4 = P.hd / 4u;
  let kvh = h / (P.n_heads / P.n_kv);
  let first = (t / P.S) * P.S;
  let qo = i * h4;
  var qr: array<vec4<f32>, 32>;
  var gr: array<vec4<f32>, 32>;
  var acc: array<vec4<f32>, 32>;
  for (var j = 0u; j < h4; j++) {
    qr[j] = q[qo + j];
    gr[j] = dout[qo + j];
    acc[j] = vec4<f32>(0.0);
  }
  let l = lse[i];
  let D = delta_rows[i];
  for (var s = first; s <= t; s++) {
    let ko = (s * P.n_kv + kvh) * h4;
    var d = vec4<f32>(0.0);
    var e = vec4<f32>(0.0);
    for (var j = 0u; j < h4; j++) {
      d += qr[j] * k[ko + j];
      e += gr[j] * v[ko + j];
    }
    let p = exp(hsum(d) * P.scale - l);
    let ds = p * (hsum(e) - D);
    for (var j = 0u; j < h4; j++) { acc[j] += ds * k[ko + j]; }
  }
  for (var j = 0u; j < h4; j++) { dq[qo + j] = dq[qo + j] + acc[j] * P.scale; }
}

@compute @workgroup_size(64, 1, 1)
fn dkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat(wid, nwg, li);
  if (i >= P.T * P.n_kv) { return; }
  let s = i / P.n_kv;
  let kvh = i % P.n_kv;
  let h4 = P.hd / 4u;
  let group = P.n_heads / P.n_kv;
  let last = (s / P.S) * P.S + P.S;
  let ko = i * h4;
  var kr: array<vec4<f32>, 32>;
  var vr: array<vec4<f32>, 32>;
  var dkr: array<vec4<f32>, 32>;
  var dvr: array<vec4<f32>, 32>;
  for (var j = 0u; j < h4; j++) {
    kr[j] = k[ko + j];
    vr[j] = v[ko + j];
    dkr[j] = vec4<f32>(0.0);
    dvr[j] = vec4<f32>(0.0);
  }
  for (var g = 0u; g < group; g++) {
    let h = kvh * group + g;
    for (var t = s; t < last; t++) {
      let r = t * P.n_heads + h;
      let qo = r * h4;
      var d = vec4<f32>(0.0);
      var e = vec4<f32>(0.0);
      for (var j = 0u; j < h4; j++) {
        d += q[qo + j] * kr[j];
        e += dout[qo + j] * vr[j];
      }
      let p = exp(hsum(d) * P.scale - lse[r]);
      let ds = p * (hsum(e) - delta_rows[r]);
      for (var j = 0u; j < h4; j++) {
        dvr[j] += p * dout[qo + j];
        dkr[j] += ds * q[qo + j];
      }
    }
  }
  for (var j = 0u; j < h4; j++) {
    dk[ko + j] = dk[ko + j] + dkr[j] * P.scale;
    dv[ko + j] = dv[ko + j] + dvr[j];
  }
}
