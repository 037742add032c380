// Gradient squared norm for clipping, over any number of tensors, without atomics.
// `state` (2 floats, zeroed at the start of a step): [0] the running Σ g² over the tensors so far, [1] the
// clipping factor. Per tensor: `partial` (one invocation per chunk of 256 values, in order) writes
// partials[c] = Σ g²; then `finish` (one invocation) adds the partials, in order, to state[0]. After the last
// tensor `clip` (one invocation) sets state[1] = max_norm / (sqrt(state[0]) + 1e-6) when the norm exceeds
// max_norm (> 0), else 1. The order of every sum is fixed: the same bits on every run.
// Dispatch: `partial` 1-D over ceil(n / 256) invocations (workgroups of 64, split over x/y); `finish`,
// `clip` (1, 1, 1).

struct Params {
  n: u32,
  max_norm: f32,
  _p0: u32,
  _p1: u32,
}

const CHUNK = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> state: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = (wid.y * nwg.x + wid.x) * 64u + li;
  let first = c * CHUNK;
  if (first >= P.n) { return; }
  let last = min(first + CHUNK, P.n);
  var s = 0.0;
  for (var i = first; i < last; i++) {
    let v = g[i];
    s += v * v;
  }
  partials[c] = s;
}

@compute @workgroup_size(1, 1, 1)
fn finish() {
  let chunks = (P.n + CHUNK - 1u) / CHUNK;
  var s = 0.0;
  for (var c = 0u; c < chunks; c++) { s += partials[c]; }
  state[0] = state[0] + s;
}

@compute @workgroup_size(1, 1, 1)
fn clip() {
  let norm = sqrt(state[0]);
  var f = 1.0;
  if (P.max_norm > 0.0 && norm > P.max_norm) { f = P.max_norm / (norm + 1e-6); }
  state[1] = f;
}
