// AdamW, in place, one invocation per parameter (decoupled weight decay, bias-corrected moments):
//   g = grad · f,  f = min(1, max_norm / (sqrt(norm_sq[0]) + 1e-6)) when max_norm > 0 (clipping by the global
//       norm grad_norm.wgsl left on the device: no read-back), else 1
//   m = β1 · m + (1 − β1) · g;  v = β2 · v + (1 − β2) · g²
//   p = p · decay − lr · (m / bc1) / (sqrt(v / bc2) + eps),  decay = 1 − lr · wd, bc1 = 1 − β1^step,
//   bc2 = 1 − β2^step (decay, bc1, bc2 computed on the host in f64, as the CPU op does).
// Dispatch: 1-D over n (workgroups of 256), split over x/y.

struct Params {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  decay: f32,
  bc1: f32,
  bc2: f32,
  max_norm: f32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
@group(0) @binding(4) var<storage, read_write> m2: array<f32>;
@group(0) @binding(5) var<storage, read> norm_sq: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + li;
  if (i >= P.n) { return; }
  var f = 1.0;
  if (P.max_norm > 0.0) { f = min(1.0, P.max_norm / (sqrt(norm_sq[0]) + 1e-6)); }
  let g = grad[i] * f;
  let m = P.beta1 * m1[i] + (1.0 - P.beta1) * g;
  let v = P.beta2 * m2[i] + (1.0 - P.beta2) * g * g;
  m1[i] = m;
  m2[i] = v;
  let p = param[i];
  param[i] = p * P.decay - (P.lr * (m / P.bc1)) / (sqrt(v / P.bc2) + P.eps);
}
