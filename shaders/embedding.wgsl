// Embedding gather: out[t, :] = table[tokens[t], :], the table in any weight format (a
// lib/weights_*.wgsl snippet is concatenated in front; q8/q4 rows are dequantised). A token id outside
// [0, rows) writes a zero row (the op validates ids before dispatch; this only keeps the GPU in bounds).
// One thread per 4 columns. Dispatch: (ceil(ceil(d / 4) / 64), T, 1).

struct Params {
  T: u32,
  d: u32,
  rows: u32,
  gs: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> tokens: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wid.y;
  let k = (wid.x * 64u + li) * 4u;
  if (k >= P.d) { return; }
  let tok = tokens[t];
  var v = vec4<f32>(0.0);
  if (tok >= 0 && u32(tok) < P.rows) { v = w_load4(u32(tok), k, P.d, P.gs); }
  let o = t * P.d + k;
  out[o] = v.x;
  if (k + 1u < P.d) { out[o + 1u] = v.y; }
  if (k + 2u < P.d) { out[o + 2u] = v.z; }
  if (k + 3u < P.d) { out[o + 3u] = v.w; }
}
