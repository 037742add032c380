// SwiGLU backward. Forward: y = silu(g) · u, silu(g) = g · σ(g), σ(g) = 1 / (1 + exp(-g)). Adds (backward ops
// accumulate, see src/engine/train/trainOps.ts):
//   dgate += dy · u · σ(g) · (1 + g · (1 − σ(g)))
//   dup   += dy · silu(g)
// One invocation per element. Dispatch: 1-D over n (workgroups of 256), split over x/y.

struct Params {
  n: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(5) var<storage, read_write> dup: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + li;
  if (i >= P.n) { return; }
  let g = gate[i];
  let s = 1.0 / (1.0 + exp(-g));
  let d = dy[i];
  dgate[i] = dgate[i] + d * up[i] * s * (1.0 + g * (1.0 - s));
  dup[i] = dup[i] + d * g * s;
}
