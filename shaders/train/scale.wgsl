// x[i] *= s, in place: `main` with s a uniform (gradient accumulation's 1 / micro-batches), `by_state` with
// s = state[1] left on the device by grad_norm.wgsl's `clip` (clipping without a read-back).
// Dispatch: 1-D over n (workgroups of 256), split over x/y.

struct Params {
  n: u32,
  s: f32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + li;
  if (i >= P.n) { return; }
  x[i] = x[i] * P.s;
}

@compute @workgroup_size(256, 1, 1)
fn by_state(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + li;
  if (i >= P.n) { return; }
  x[i] = x[i] * state[1];
}
