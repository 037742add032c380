// Inverted dropout with a stateless mask: element i is kept when the 24-bit uniform of a counter-based hash
// of (seed, i) is ≥ p, exactly `dropoutKeep` in src/engine/train/trainOps.ts (u32 multiplies wrap like
// Math.imul); the host passes keep_from = ceil(p · 2^24), so the comparison is on integers and matches the
// CPU's f64 one for every p. `main`: y = x · keep · inv (inv = 1 / (1 − p)); `backward`: dx += dy · keep · inv
// (the same mask, redrawn). Dispatch: 1-D over n (workgroups of 256), split over x/y.

struct Params {
  n: u32,
  seed: u32,
  keep_from: u32,
  inv: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn keep(i: u32) -> bool {
  var h = (i * 0x9e3779b1u) ^ (P.seed * 0x85ebca77u);
  h = (h ^ (h >> 15u)) * 0x2c1b3c6du;
  h = (h ^ (h >> 12u)) * 0x297a2d39u;
  h = h ^ (h >> 15u);
  return (h >> 8u) >= P.keep_from;
}

fn index(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + li;
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i >= P.n) { return; }
  dst[i] = select(0.0, src[i] * P.inv, keep(i));
}

@compute @workgroup_size(256, 1, 1)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i >= P.n) { return; }
  if (keep(i)) { dst[i] = dst[i] + src[i] * P.inv; }
}
