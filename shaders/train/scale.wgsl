// In-place elementwise helpers of the optimiser, one invocation per element:
// `main`: x[i] *= s (gradient accumulation's 1 / micro-batches); `fill`: x[i] = s (a tensor set to a value);
// `clip`: x[i] *= min(1, s / (sqrt(norm_sq[0]) + 1e-6)), s = max_norm > 0 (a gradient clipped by the global norm
// grad_norm.wgsl left on the device, as adamw.wgsl applies it, for a consumer other than AdamW).
// Dispatch: 1-D over n (workgroups of 256), split over x/y.

struct Params {
  n: u32,
  s: f32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> norm_sq: array<f32>;

fn index(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + li;
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i >= P.n) { return; }
  x[i] = x[i] * P.s;
}

@compute @workgroup_size(256, 1, 1)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i >= P.n) { return; }
  x[i] = P.s;
}

@compute @workgroup_size(256, 1, 1)
fn clip(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i >= P.n) { return; }
  x[i] = x[i] * min(1.0, P.s / (sqrt(norm_sq[0]) + 1e-6));
}
