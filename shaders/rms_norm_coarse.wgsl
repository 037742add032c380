// RMSNorm (Llama), coarse design (same contract as rms_norm.wgsl): out[t, i] = x[t, i] / sqrt(mean_i(x[t]²) + eps) * weight[i].
// One invocation per row, reading the row as vec4 words (d % 4 == 0) twice: no workgroup reduction, so no
// barriers, which is what a software adapter (SwiftShader) needs (rms_norm.wgsl's nine barriers per row cost
// it ~40× the arithmetic). On a real GPU one thread per row is slow for wide rows; ops/rmsNorm.ts picks this
// kernel only for the `coarse` kernel family. Entry `inplace` normalises `out` in place.
// Dispatch: 1-D over T invocations, 32 per workgroup.

struct Params {
  T: u32,
  d: u32,
  eps: f32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weight: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(32, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= P.T) { return; }
  let d4 = P.d / 4u;
  let base = t * d4;
  var s = vec4<f32>(0.0);
  for (var i = 0u; i < d4; i++) {
    let v = x[base + i];
    s = fma(v, v, s);
  }
  let inv = 1.0 / sqrt(((s.x + s.y) + (s.z + s.w)) / f32(P.d) + P.eps);
  for (var i = 0u; i < d4; i++) {
    out[base + i] = x[base + i] * inv * weight[i];
  }
}

@compute @workgroup_size(32, 1, 1)
fn inplace(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= P.T) { return; }
  let d4 = P.d / 4u;
  let base = t * d4;
  var s = vec4<f32>(0.0);
  for (var i = 0u; i < d4; i++) {
    let v = out[base + i];
    s = fma(v, v, s);
  }
  let inv = 1.0 / sqrt(((s.x + s.y) + (s.z + s.w)) / f32(P.d) + P.eps);
  for (var i = 0u; i < d4; i++) {
    out[base + i] = out[base + i] * inv * weight[i];
  }
}
