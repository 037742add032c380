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

struct Params {
  T: u32,
  n_heads: u32,
  head_dim: u32,
  max_pos: u32,
  row_offset: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<i32>;
@group(0) @binding(3) var<storage, read> cos_sin: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let half = P.head_dim / 2u;
  let idx = (wid.y * nwg.x + wid.x) * 256u + li;
  if (idx >= P.T * P.n_heads * half) { return; }
  let i = idx % half;
  let th = idx / half; // t * n_heads + head
  let pos = positions[th / P.n_heads];
  let base = (P.row_offset * P.n_heads + th) * P.head_dim;
  if (pos < 0 || u32(pos) >= P.max_pos) { return; }
  let cs = (u32(pos) * half + i) * 2u;
  let c = cos_sin[cs];
  let s = cos_sin[cs + 1u];
  let x1 = x[base + i];
  let x2 = x[base + i + half];
  x[base + i] = x1 * c - x2 * s;
  x[base + i + half] = x2 * c + x1 * s;
}
