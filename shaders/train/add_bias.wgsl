// y[t, i] += bias[i] for T rows of n values (a frozen q/k/v bias in the training forward), one invocation per
// element. Dispatch: 1-D over T * n (workgroups of 256), split over x/y.

struct Params {
  total: u32,
  n: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + li;
  if (i >= P.total) { return; }
  y[i] = y[i] + bias[i % P.n];
}
