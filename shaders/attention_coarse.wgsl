// Causal GQA attention over a KV cache, coarse design (same contract as attention.wgsl):
// q, out: [*, nHeads, headDim], rows row_offset .. row_offset + T; kCache, vCache: [maxSeq, nKvHeads, headDim].
// Query t (position startPos + t) attends to cache positions 0..startPos + t, head h to kv head
// h / (nHeads / nKvHeads); scores scaled by 1/sqrt(headDim).
//
// One invocation per (query, head), no workgroup memory and no barriers: the query row and the output
// accumulator live in registers (headDim / 4 vec4 each, headDim % 4 == 0, headDim <= 128), keys are
// streamed in blocks of four with an online softmax (one rescale per block, four exponentials as one vec4).
// Why: on a software adapter (SwiftShader) attention.wgsl's per-chunk barriers and reductions cost far more
// than the dot products; here the work is the arithmetic alone. On a real GPU this is FlashAttention's loop
// without the shared-memory K/V tiles (neighbouring invocations are the heads of one query, which share
// K/V rows through the cache); ops/attention.ts picks it only for the `coarse` kernel family.
// Dispatch: 1-D over T * nHeads invocations, 32 per workgroup, split over x/y (num_workgroups).

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
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;

const MAX_HD4 = 32u;

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
  let kv_stride = P.n_kv_heads * hd4; // vec4 words per cache row
  let kv_off = kvh * hd4;
  let q_base = ((P.row_offset + t) * P.n_heads + h) * hd4;

  var qv: array<vec4<f32>, MAX_HD4>;
  var acc: array<vec4<f32>, MAX_HD4>;
  for (var e = 0u; e < hd4; e++) {
    qv[e] = q[q_base + e] * P.scale;
    acc[e] = vec4<f32>(0.0);
  }
  let n_keys = P.start_pos + t + 1u;
  let last = n_keys - 1u;
  var m = NEG_BIG; // running max
  var l = 0.0;     // running sum of exp(score - m)
  for (var j0 = 0u; j0 < n_keys; j0 += 4u) {
    // keys past the end read the last valid one and are masked out of the softmax
    let b0 = j0 * kv_stride + kv_off;
    let b1 = min(j0 + 1u, last) * kv_stride + kv_off;
    let b2 = min(j0 + 2u, last) * kv_stride + kv_off;
    let b3 = min(j0 + 3u, last) * kv_stride + kv_off;
    var s = vec4<f32>(0.0);
    for (var e = 0u; e < hd4; e++) {
      let a = qv[e];
      s += vec4<f32>(dot(a, k_cache[b0 + e]), dot(a, k_cache[b1 + e]), dot(a, k_cache[b2 + e]), dot(a, k_cache[b3 + e]));
    }
    let valid = vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u) < vec4<u32>(n_keys);
    let sm = online_softmax4(&m, &l, s, valid);
    let alpha = sm.alpha;
    let p = sm.p;
    for (var e = 0u; e < hd4; e++) {
      acc[e] = acc[e] * alpha + p.x * v_cache[b0 + e] + p.y * v_cache[b1 + e] + p.z * v_cache[b2 + e] + p.w * v_cache[b3 + e];
    }
  }
  let inv = 1.0 / l;
  for (var e = 0u; e < hd4; e++) { out[q_base + e] = acc[e] * inv; }
}
