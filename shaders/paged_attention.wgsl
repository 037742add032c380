// Causal GQA attention over a paged KV pool, all rows of a batch in one dispatch (workgroup design, the
// `tiled` family's twin of attention.wgsl). q, out: [T, nHeads, headDim]; k_pool, v_pool:
// [nPages * pageSize, nKvHeads, headDim]. rows[2t] = position of row t, rows[2t + 1] = its page table
// (sequence) s; the row attends to keys 0..position of that sequence, key j at pool row
// page_table[s * pagesPerSeq + j / pageSize] * pageSize + j % pageSize. Head h reads kv head
// h / (nHeads / nKvHeads); scores scaled by 1/sqrt(headDim).
// One workgroup of 256 threads per (head, row), as attention.wgsl: keys in chunks of 256 (one per thread),
// online softmax, thread d < headDim owns output dimension d. headDim <= 256.
// Dispatch: (nHeads, T, 1).

struct Params {
  T: u32,
  n_heads: u32,
  n_kv_heads: u32,
  head_dim: u32,
  scale: f32,
  page_size: u32,
  pages_per_seq: u32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k_pool: array<f32>;
@group(0) @binding(3) var<storage, read> v_pool: array<f32>;
@group(0) @binding(4) var<storage, read> rows: array<i32>;
@group(0) @binding(5) var<storage, read> page_table: array<i32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

const WG = 256u;

var<workgroup> qs: array<f32, 256>;
var<workgroup> ps: array<f32, 256>;
var<workgroup> red: array<f32, 256>;
var<workgroup> base: array<u32, 256>; // pool offset of each key of the chunk (its kv head's slice)

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wid.x;
  let t = wid.y;
  let hd = P.head_dim;
  let kvh = h / (P.n_heads / P.n_kv_heads);
  let kv_stride = P.n_kv_heads * hd;
  let q_base = (t * P.n_heads + h) * hd;
  let pos = u32(rows[2u * t]);
  let pt = u32(rows[2u * t + 1u]) * P.pages_per_seq;
  if (li < hd) { qs[li] = q[q_base + li] * P.scale; }
  workgroupBarrier();

  let n_keys = pos + 1u;
  var m = NEG_BIG;  // running max
  var l = 0.0;      // running sum of exp(score - m)
  var acc = 0.0;    // running sum of exp(score - m) * v[., li]
  for (var c0 = 0u; c0 < n_keys; c0 += WG) {
    let j = c0 + li;
    var s = NEG_BIG;
    if (j < n_keys) {
      let prow = u32(page_table[pt + j / P.page_size]) * P.page_size + j % P.page_size;
      let kb = prow * kv_stride + kvh * hd;
      base[li] = kb;
      var d = 0.0;
      for (var e = 0u; e < hd; e++) { d = fma(qs[e], k_pool[kb + e], d); }
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
      if (li < hd) { a = fma(pj, v_pool[base[jj] + li], a); }
    }
    l = l * alpha + psum;
    acc = acc * alpha + a;
    m = mx.m_new;
    workgroupBarrier(); // ps, red and base are rewritten by the next chunk
  }
  if (li < hd) { out[q_base + li] = acc / l; }
}
