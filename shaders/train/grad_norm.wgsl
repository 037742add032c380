// Squared global gradient norm for clipping, over any number of tensors, without atomics: per tensor,
// `partial` (one invocation per chunk of 256 values) writes partials[c] = Σ g² of its chunk in order, then
// `finish` (one invocation) adds the partials, in order, to norm_sq[0] (zero it before the first tensor).
// The order of every sum is fixed: the same bits on every run. AdamW (adamw.wgsl) and scale.wgsl's `clip`
// read norm_sq on the device.
// Dispatch: `partial` 1-D over ceil(n / 256) invocations (workgroups of 64, split over x/y); `finish` (1, 1, 1).

struct Params {
  n: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

const CHUNK = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> norm_sq: array<f32>;

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
  norm_sq[0] = norm_sq[0] + s;
}
