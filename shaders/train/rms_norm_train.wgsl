// RMSNorm forward for training: y[t, i] = x[t, i] · r_t · w[i], r_t = 1 / sqrt(mean_i(x[t]²) + eps), and r_t
// saved to rstd[t] for the backward (rms_norm_backward.wgsl). One invocation per row, the sum of squares in
// order. Dispatch: 1-D over T invocations (workgroups of 64), split over x/y.

struct Params {
  T: u32,
  d: u32,
  eps: f32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = (wid.y * nwg.x + wid.x) * 64u + li;
  if (t >= P.T) { return; }
  let base = t * P.d;
  var ss = 0.0;
  for (var i = 0u; i < P.d; i++) {
    let v = x[base + i];
    ss += v * v;
  }
  let r = 1.0 / sqrt(ss / f32(P.d) + P.eps);
  rstd[t] = r;
  for (var i = 0u; i < P.d; i++) {
    y[base + i] = x[base + i] * r * weight[i];
  }
}
