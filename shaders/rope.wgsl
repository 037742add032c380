// Rotary position embedding, in place, half-split layout (HF Llama rotate_half):
// for each (t, head, i < headDim/2), with angle a = positions[t] * invFreq[i]:
//   x[i]        = x[i] cos a - x[i + half] sin a
//   x[i + half] = x[i + half] cos a + x[i] sin a
// x is [*, nHeads, headDim]; rows row_offset .. row_offset + T are rotated (a sequence's segment inside a
// concatenated batch), row row_offset + t at positions[t].
// cos/sin come from a table [maxPos, half, 2] (cos, sin) computed on the CPU in f64 (like HF's cos_cached): WGSL's sin/cos only promise 2^-11 absolute error (SwiftShader's are
// ~1e-4 off) and f32 angles lose ~ulp(a) at far positions, so computing them here would not match the
// CPU twin. A position outside [0, maxPos) leaves its row untouched (the model checks the context size).
// One thread per (t, head, i). Dispatch: 1-D over T * nHeads * half, split over x/y (num_workgroups).
// `pair`: two tensors with the same rows, positions and table in one dispatch (a layer's q and k): x
// [*, n_heads, headDim] then x2 [*, n_heads2, headDim], threads numbered over x's T * n_heads * half first,
// then x2's T * n_heads2 * half. Both entries share `site` and `rotate`, so each value is computed exactly as
// by `main` (bit for bit).
// `pair_kv`: `pair`, and the paged KV write of the layer (kv_write_paged.wgsl) in the same dispatch: x2 is k
// (row_offset 0), and each thread of x2 also writes the two k values it rotated (or left, outside the table) to
// k_pool and the v values at the same places to v_pool, at pool row dst_rows[t] (row_len = n_heads2 * head_dim, the
// index math of kv_write_paged.wgsl). The pool gets the very f32 stored into x2, so q, k and both pools are bit for bit
// those of `pair` then kv_write_paged's `main`. Binds 8 storage buffers (WebGPU's default per-stage limit).

struct Params {
  T: u32,
  n_heads: u32,
  head_dim: u32,
  max_pos: u32,
  row_offset: u32,
  n_heads2: u32, // `pair` only (0 for `main`)
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<i32>;
@group(0) @binding(3) var<storage, read> cos_sin: array<f32>;
@group(0) @binding(4) var<storage, read_write> x2: array<f32>;
// `pair_kv` only
@group(0) @binding(5) var<storage, read> kv_v: array<f32>;
@group(0) @binding(6) var<storage, read> dst_rows: array<i32>;
@group(0) @binding(7) var<storage, read_write> k_pool: array<f32>;
@group(0) @binding(8) var<storage, read_write> v_pool: array<f32>;

// Where thread `idx` of a tensor with `n_heads` heads works: x1's index (x2's is + half) and its (cos, sin)
// pair's index in the table; ok = false when its position is outside the table.
struct Site {
  base: u32,
  cs: u32,
  ok: bool,
}

fn site(idx: u32, n_heads: u32) -> Site {
  let half = P.head_dim / 2u;
  let i = idx % half;
  let th = idx / half; // t * n_heads + head
  let pos = positions[th / n_heads];
  let base = (P.row_offset * n_heads + th) * P.head_dim + i;
  if (pos < 0 || u32(pos) >= P.max_pos) { return Site(base, 0u, false); }
  return Site(base, (u32(pos) * half + i) * 2u, true);
}

// (x1, x2) rotated by the angle whose (cos, sin) is at `cs`
fn rotate(x1: f32, x2: f32, cs: u32) -> vec2<f32> {
  let c = cos_sin[cs];
  let s = cos_sin[cs + 1u];
  return vec2<f32>(x1 * c - x2 * s, x2 * c + x1 * s);
}

// Pair `idx` (row, head, i < head_dim / 2) of the first tensor x, rotated in place (rows past the table: left as they are).
fn rotate_x(idx: u32) {
  let half = P.head_dim / 2u;
  let s = site(idx, P.n_heads);
  if (!s.ok) { return; }
  let r = rotate(x[s.base], x[s.base + half], s.cs);
  x[s.base] = r.x;
  x[s.base + half] = r.y;
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let half = P.head_dim / 2u;
  let idx = (wid.y * nwg.x + wid.x) * 256u + li;
  if (idx >= P.T * P.n_heads * half) { return; }
  rotate_x(idx);
}

@compute @workgroup_size(256, 1, 1)
fn pair(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let half = P.head_dim / 2u;
  let idx = (wid.y * nwg.x + wid.x) * 256u + li;
  let n1 = P.T * P.n_heads * half;
  if (idx < n1) {
    rotate_x(idx);
    return;
  }
  if (idx - n1 >= P.T * P.n_heads2 * half) { return; }
  let s = site(idx - n1, P.n_heads2);
  if (!s.ok) { return; }
  let r = rotate(x2[s.base], x2[s.base + half], s.cs);
  x2[s.base] = r.x;
  x2[s.base + half] = r.y;
}

@compute @workgroup_size(256, 1, 1)
fn pair_kv(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) li: u32) {
  let half = P.head_dim / 2u;
  let idx = (wid.y * nwg.x + wid.x) * 256u + li;
  let n1 = P.T * P.n_heads * half;
  if (idx < n1) {
    rotate_x(idx);
    return;
  }
  let j = idx - n1;
  if (j >= P.T * P.n_heads2 * half) { return; }
  let s = site(j, P.n_heads2);
  var k1 = x2[s.base];
  var k2 = x2[s.base + half];
  if (s.ok) {
    let r = rotate(k1, k2, s.cs);
    x2[s.base] = r.x;
    x2[s.base + half] = r.y;
    k1 = r.x;
    k2 = r.y;
  }
  // kv_write_paged.wgsl's index math for columns c and c + half of row t
  let row_len = P.n_heads2 * P.head_dim;
  let th = j / half; // t * n_heads2 + head
  let t = th / P.n_heads2;
  let c = (th % P.n_heads2) * P.head_dim + j % half;
  let src = t * row_len + c;
  let dst = u32(dst_rows[t]) * row_len + c;
  k_pool[dst] = k1;
  k_pool[dst + half] = k2;
  v_pool[dst] = kv_v[src];
  v_pool[dst + half] = kv_v[src + half];
}
