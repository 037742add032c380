// Similarity of one int8 query with N int8 vectors: scores[i] = scales[i] * f32(dot(q, x[i])), the integer
// dot exact in i32 (and exactly representable in f32 for dims <= 1040). Vectors are stored 4 int8 per u32
// (little-endian, element 4w + b in byte b of word w); dims % 4 == 0. One invocation per vector, 256 per
// workgroup, the workgroups laid out in 2-D when N / 256 > 65535. Dispatch: (min(G, 65535), ceil(G / 65535), 1)
// with G = ceil(N / 256). CPU twin: src/attribution/int8Vectors.ts `int8Scores` (bit for bit).

struct Params {
  N: u32,
  words: u32, // dims / 4
  row_groups: u32, // workgroups along x
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> query: array<u32>;
@group(0) @binding(2) var<storage, read> vectors: array<u32>;
@group(0) @binding(3) var<storage, read> scales: array<f32>;
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;

// the four signed bytes of a word, sign-extended
fn bytes4(w: u32) -> vec4<i32> {
  let s = bitcast<i32>(w);
  return vec4<i32>((s << 24u) >> 24u, (s << 16u) >> 24u, (s << 8u) >> 24u, s >> 24u);
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * P.row_groups + wid.x) * 256u + li;
  if (i >= P.N) { return; }
  let base = i * P.words;
  var acc = 0;
  for (var w = 0u; w < P.words; w++) {
    let p = bytes4(vectors[base + w]) * bytes4(query[w]);
    acc += p.x + p.y + p.z + p.w;
  }
  scores[i] = scales[i] * f32(acc);
}
