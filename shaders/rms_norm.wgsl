// RMSNorm (Llama): out[t, i] = x[t, i] / sqrt(mean_i(x[t]²) + eps) * weight[i].
// One workgroup of 256 threads per row; the sum of squares is reduced in workgroup memory.
// Entry `inplace` normalises `out` in place (each thread reads its elements before writing them, after the
// whole row's reduction). Dispatch: (T, 1, 1).

struct Params {
  T: u32,
  d: u32,
  eps: f32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const WG = 256u;
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let base = wid.x * P.d;
  var s = 0.0;
  for (var i = li; i < P.d; i += WG) {
    let v = x[base + i];
    s = fma(v, v, s);
  }
  red[li] = s;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off >>= 1u) {
    if (li < off) { red[li] += red[li + off]; }
    workgroupBarrier();
  }
  let inv = 1.0 / sqrt(red[0] / f32(P.d) + P.eps);
  for (var i = li; i < P.d; i += WG) {
    out[base + i] = x[base + i] * inv * weight[i];
  }
}

@compute @workgroup_size(256, 1, 1)
fn inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let base = wid.x * P.d;
  var s = 0.0;
  for (var i = li; i < P.d; i += WG) {
    let v = out[base + i];
    s = fma(v, v, s);
  }
  red[li] = s;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off >>= 1u) {
    if (li < off) { red[li] += red[li + off]; }
    workgroupBarrier();
  }
  let inv = 1.0 / sqrt(red[0] / f32(P.d) + P.eps);
  for (var i = li; i < P.d; i += WG) {
    out[base + i] = out[base + i] * inv * weight[i];
  }
}
