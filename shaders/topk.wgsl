// Top-K of each logits row on the GPU: ids[t, r] / vals[t, r] = the r-th largest of logits[t, :] in the order
// (value descending, then id ascending), so sampling reads back 8·K bytes per row instead of the vocabulary.
// NaN is never selected; -0 and +0 tie (broken by id); when a row has fewer than K non-NaN values the
// remaining slots get id -1 and value -inf. Exact: values are compared as order-preserving u32 keys made from
// their bits (no float compare, so no NaN assumptions or flushed subnormals), and copied, never computed.
// K ≤ 256, K ≤ V. One workgroup of 256 threads per row. Dispatch: (T, 1, 1).
//
// Algorithm: K rounds. Each thread holds its best candidate among its strided elements (v = li, li + 256, …)
// that comes strictly after the picks so far; a tree reduction in workgroup memory picks the round's winner.
// Only the thread that owned the winner rescans (for its best element strictly after the winner): the other
// threads' candidates lost to the winner, so they are still the best after it. Total reads: V + K·V/256.

struct Params {
  T: u32,
  V: u32,
  K: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> vals: array<f32>;

const WG = 256u;
const NONE = 0xffffffffu;
// -inf's bits; a var, since a constant bitcast<f32> of it is rejected (-inf is no const-expression value)
var<private> neg_inf_bits: u32 = 0xff800000u;
var<workgroup> red_k: array<u32, 256>;
var<workgroup> red_i: array<u32, 256>;

// order-preserving key of a non-NaN f32 (larger value -> larger key; -0 mapped to +0 so they tie)
fn key_of(bits: u32) -> u32 {
  var b = bits;
  if (b == 0x80000000u) { b = 0u; }
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// true when (k1, i1) beats (k2, i2): larger key, then smaller id; an empty slot (NONE) never wins
fn better(k1: u32, i1: u32, k2: u32, i2: u32) -> bool {
  if (i1 == NONE) { return false; }
  if (i2 == NONE) { return true; }
  return k1 > k2 || (k1 == k2 && i1 < i2);
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wid.x;
  let base = row * P.V;
  let out_base = row * P.K;
  // the previous pick for this thread's scans: (key, id); (NONE, 0) comes before everything
  var pk = NONE;
  var pi = 0u;
  var ck = 0u;
  var ci = NONE;
  var rescan = true;
  for (var r = 0u; r < P.K; r++) {
    if (rescan) {
      ck = 0u;
      ci = NONE;
      for (var v = li; v < P.V; v += WG) {
        let bits = bitcast<u32>(logits[base + v]);
        // NaN tested on the bits: WGSL lets compilers assume floats are never NaN
        if ((bits & 0x7fffffffu) > 0x7f800000u) { continue; }
        let k = key_of(bits);
        let after = k < pk || (k == pk && v > pi);
        if (after && better(k, v, ck, ci)) { ck = k; ci = v; }
      }
      rescan = false;
    }
    red_k[li] = ck;
    red_i[li] = ci;
    workgroupBarrier();
    for (var off = WG / 2u; off > 0u; off >>= 1u) {
      if (li < off && better(red_k[li + off], red_i[li + off], red_k[li], red_i[li])) {
        red_k[li] = red_k[li + off];
        red_i[li] = red_i[li + off];
      }
      workgroupBarrier();
    }
    let wk = red_k[0];
    let wi = red_i[0];
    if (li == 0u) {
      if (wi == NONE) {
        ids[out_base + r] = -1;
        vals[out_base + r] = bitcast<f32>(neg_inf_bits);
      } else {
        ids[out_base + r] = i32(wi);
        vals[out_base + r] = logits[base + wi];
      }
    }
    if (wi != NONE && wi % WG == li) {
      pk = wk;
      pi = wi;
      rescan = true;
    }
    // everyone has read the winner before the next round overwrites slot 0
    workgroupBarrier();
  }
}
