// RMSNorm backward. Forward: y[t, i] = x[t, i] · r_t · w[i], r_t = 1 / sqrt(mean_i(x[t]²) + eps).
// rstd[t] = r_t is what the forward (rms_norm_train.wgsl) saved.
// `main` (one invocation per row t):
//   dx[t, i] = r_t · w[i] · dy[t, i] − x[t, i] · r_t³ · (Σ_j dy[t, j] · w[j] · x[t, j]) / d
//   (+ dx when accumulate: the residual stream's gradient gathers it).
// `dweight` (one invocation per column i):
//   dw[i] (+)= Σ_t dy[t, i] · x[t, i] · r_t.
// Sums run in order in one invocation each (no atomics): the same bits on every run.
// Dispatch: 1-D over T (`dx`) or d (`dw`) invocations, workgroups of 64, split over x/y.

struct Params {
  T: u32,
  d: u32,
  eps: f32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> dw: array<f32>;

fn flat(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + li;
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = flat(wid, nwg, li);
  if (t >= P.T) { return; }
  let base = t * P.d;
  var c = 0.0;
  for (var i = 0u; i < P.d; i++) {
    c += dy[base + i] * weight[i] * x[base + i];
  }
  let r = rstd[t];
  let k = r * r * r * c / f32(P.d);
  for (var i = 0u; i < P.d; i++) {
    var g = r * weight[i] * dy[base + i] - x[base + i] * k;
    if (P.accumulate == 1u) { g += dx[base + i]; }
    dx[base + i] = g;
  }
}

@compute @workgroup_size(64, 1, 1)
fn dweight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat(wid, nwg, li);
  if (i >= P.d) { return; }
  var s = 0.0;
  for (var t = 0u; t < P.T; t++) {
    let o = t * P.d + i;
    s += dy[o] * x[o] * rstd[t];
  }
  if (P.accumulate == 1u) { s += dw[i]; }
  dw[i] = s;
}
