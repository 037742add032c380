// Greedy decoding on the GPU: out[t] = argmax_v logits[t, v] (the first index on ties; NaN never wins),
// so a decode step reads back 4 bytes per row instead of the whole vocabulary.
// One workgroup of 256 threads per row. Dispatch: (T, 1, 1).

struct Params {
  T: u32,
  V: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

const WG = 256u;
const NONE = 0xffffffffu;
var<workgroup> best_v: array<f32, 256>;
var<workgroup> best_i: array<u32, 256>;

// true when (v1, i1) beats (v2, i2): larger value, then smaller index; an empty slot (NONE) never wins
fn better(v1: f32, i1: u32, v2: f32, i2: u32) -> bool {
  if (i1 == NONE) { return false; }
  if (i2 == NONE) { return true; }
  return v1 > v2 || (v1 == v2 && i1 < i2);
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let base = wid.x * P.V;
  var bv = 0.0;
  var bi = NONE;
  for (var v = li; v < P.V; v += WG) {
    let x = logits[base + v];
    // NaN tested on the bits: WGSL lets compilers assume floats are never NaN
    let is_nan = (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
    if (!is_nan && better(x, v, bv, bi)) { bv = x; bi = v; }
  }
  best_v[li] = bv;
  best_i[li] = bi;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off >>= 1u) {
    if (li < off && better(best_v[li + off], best_i[li + off], best_v[li], best_i[li])) {
      best_v[li] = best_v[li + off];
      best_i[li] = best_i[li + off];
    }
    workgroupBarrier();
  }
  if (li == 0u) { out[wid.x] = select(best_i[0], 0u, best_i[0] == NONE); }
}
