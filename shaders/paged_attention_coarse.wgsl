// Causal GQA attention over a paged KV pool, all rows of a batch in one dispatch, coarse design (the
// `coarse` family's twin of attention_coarse.wgsl; same contract as paged_attention.wgsl):
// q, out: [T, nHeads, headDim]; k_pool, v_pool: [nPages * pageSize, nKvHeads, headDim];
// rows[2t] = position of row t, rows[2t + 1] = its page table s; key j of the row's sequence sits at pool
// row page_table[s * pagesPerSeq + j / pageSize] * pageSize + j % pageSize.
// One invocation per (row, head), no workgroup memory or barriers: query and accumulator in registers
// (headDim / 4 vec4 each, headDim % 4 == 0, headDim <= 128), keys in blocks of four with an online softmax.
// Dispatch: 1-D over T * nHeads invocations, 32 per workgroup, split over x/y (num_workgroups).

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
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k_pool: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v_pool: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> rows: array<i32>;
@group(0) @binding(5) var<storage, read> page_table: array<i32>;
@group(0) @binding(6) var<storage, read_write> out: array<vec4<f32>>;

const MAX_HD4 = 32u;

// vec4 offset of key j's kv-head slice, for the page table starting at pt
fn key_base(pt: u32, j: u32, kv_stride: u32, kv_off: u32) -> u32 {
  let prow = u32(page_table[pt + j / P.page_size]) * P.page_size + j % P.page_size;
  return prow * kv_stride + kv_off;
}

@compute @workgroup_size(32, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let idx = (wid.y * nwg.x + wid.x) * 32u + li;
  if (idx >= P.T * P.n_heads) { return; }
  let h = idx % P.n_heads;
  let t = idx / P.n_heads;
  let hd4 = P.head_dim / 4u;
  let kvh = h / (P.n_heads / P.n_kv_heads);
  let kv_stride = P.n_kv_heads * hd4; // vec4 words per pool row
  let kv_off = kvh * hd4;
  let q_base = (t * P.n_heads + h) * hd4;
  let pos = u32(rows[2u * t]);
  let pt = u32(rows[2u * t + 1u]) * P.pages_per_seq;

  var qv: array<vec4<f32>, MAX_HD4>;
  var acc: array<vec4<f32>, MAX_HD4>;
  for (var e = 0u; e < hd4; e++) {
    qv[e] = q[q_base + e] * P.scale;
    acc[e] = vec4<f32>(0.0);
  }
  let n_keys = pos + 1u;
  let last = n_keys - 1u;
  var m = NEG_BIG; // running max
  var l = 0.0;     // running sum of exp(score - m)
  for (var j0 = 0u; j0 < n_keys; j0 += 4u) {
    // keys past the end read the last valid one and are masked out of the softmax
    let b0 = key_base(pt, j0, kv_stride, kv_off);
    let b1 = key_base(pt, min(j0 + 1u, last), kv_stride, kv_off);
    let b2 = key_base(pt, min(j0 + 2u, last), kv_stride, kv_off);
    let b3 = key_base(pt, min(j0 + 3u, last), kv_stride, kv_off);
    var s = vec4<f32>(0.0);
    for (var e = 0u; e < hd4; e++) {
      let a = qv[e];
      s += vec4<f32>(dot(a, k_pool[b0 + e]), dot(a, k_pool[b1 + e]), dot(a, k_pool[b2 + e]), dot(a, k_pool[b3 + e]));
    }
    let valid = vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u) < vec4<u32>(n_keys);
    let sm = online_softmax4(&m, &l, s, valid);
    let alpha = sm.alpha;
    let p = sm.p;
    for (var e = 0u; e < hd4; e++) {
      acc[e] = acc[e] * alpha + p.x * v_pool[b0 + e] + p.y * v_pool[b1 + e] + p.z * v_pool[b2 + e] + p.w * v_pool[b3 + e];
    }
  }
  let inv = 1.0 / l;
  for (var e = 0u; e < hd4; e++) { out[q_base + e] = acc[e] * inv; }
}
