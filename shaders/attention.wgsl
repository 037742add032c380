// Causal GQA attention over a KV cache, prefill and decode alike.
// q, out: [*, nHeads, headDim], rows row_offset .. row_offset + T (a sequence's segment inside a
// concatenated batch); kCache, vCache: [maxSeq, nKvHeads, headDim].
// Query t (absolute position startPos + t) attends to cache positions 0..startPos + t; head h reads
// kv head h / (nHeads / nKvHeads). Scores are scaled by 1/sqrt(headDim).
// One workgroup of 256 threads per (head, query): keys are taken in chunks of 256 (one per thread),
// the chunk's max and exp-scores go through workgroup memory, and a running (max, sum, acc) pair does
// the online softmax; thread d < headDim owns output dimension d. headDim <= 256.
// Dispatch: (nHeads, T, 1).

struct Params {
  T: u32,
  start_pos: u32,
  n_heads: u32,
  n_kv_heads: u32,
  head_dim: u32,
  scale: f32,
  row_offset: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k_cache: array<f32>;
@group(0) @binding(3) var<storage, read> v_cache: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const WG = 256u;

var<workgroup> qs: array<f32, 256>;
var<workgroup> ps: array<f32, 256>;
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wid.x;
  let t = wid.y;
  let hd = P.head_dim;
  let kvh = h / (P.n_heads / P.n_kv_heads);
  let kv_stride = P.n_kv_heads * hd;
  let q_base = ((P.row_offset + t) * P.n_heads + h) * hd;
  if (li < hd) { qs[li] = q[q_base + li] * P.scale; }
  workgroupBarrier();

  let n_keys = P.start_pos + t + 1u;
  var m = NEG_BIG;  // running max
  var l = 0.0;      // running sum of exp(score - m)
  var acc = 0.0;    // running sum of exp(score - m) * v[., li]
  for (var c0 = 0u; c0 < n_keys; c0 += WG) {
    let j = c0 + li;
    var s = NEG_BIG;
    if (j < n_keys) {
      let kb = j * kv_stride + kvh * hd;
      var d = 0.0;
      for (var e = 0u; e < hd; e++) { d = fma(qs[e], k_cache[kb + e], d); }
      s = d;
    }
    red[li] = s;
    workgroupBarrier();
    for (var off = WG / 2u; off > 0u; off >>= 1u) {
      if (li < off) { red[li] = max(red[li], red[li + off]); }
      workgroupBarrier();
    }
    let mx = online_softmax_max(m, red[0]);
    var p = 0.0;
    if (j < n_keys) { p = exp(s - mx.m_new); }
    ps[li] = p;
    workgroupBarrier();
    let alpha = mx.alpha;
    let cnt = min(WG, n_keys - c0);
    var psum = 0.0;
    var a = 0.0;
    for (var jj = 0u; jj < cnt; jj++) {
      let pj = ps[jj];
      psum += pj;
      if (li < hd) { a = fma(pj, v_cache[(c0 + jj) * kv_stride + kvh * hd + li], a); }
    }
    l = l * alpha + psum;
    acc = acc * alpha + a;
    m = mx.m_new;
    workgroupBarrier(); // ps and red are rewritten by the next chunk
  }
  if (li < hd) { out[q_base + li] = acc / l; }
}
