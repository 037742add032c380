// matmul_dx.wgsl's product, dx[t, k] = Σ_n dy[t, n] · W[n, k] (+ dx when accumulate), for N % 4 == 0 and
// K % 4 == 0 (every projection of the models here): dy read as vec4 words, 4 columns × 8 rows per invocation
// (rows past T repeat the last one and are not stored), n in steps of 4 — four weight words and eight dy words
// feed 128 products (the scalar kernel: 8 loads for 16). W through a lib/weights_*.wgsl snippet (f32 as
// weights_f32_vec4). Each invocation sums over n in a fixed order: the same bits on every run, a row's values
// independent of the others. Dispatch: (ceil(K / 4 / 32), ceil(T / 8), 1), workgroups of 32.

struct Params {
  T: u32,
  N: u32,
  K: u32,
  gs: u32,
  accumulate: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

const TB = 8u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dx: array<vec4<f32>>;

@compute @workgroup_size(32, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k0 = gid.x * 4u;
  let t0 = gid.y * TB;
  if (k0 >= P.K || t0 >= P.T) { return; }
  let N4 = P.N / 4u;
  var row: array<u32, 8>;
  for (var i = 0u; i < TB; i++) { row[i] = min(t0 + i, P.T - 1u) * N4; }
  var acc: array<vec4<f32>, 8>;
  for (var i = 0u; i < TB; i++) { acc[i] = vec4<f32>(0.0); }
  for (var n = 0u; n < P.N; n += 4u) {
    let w0 = w_load4(n, k0, P.K, P.gs);
    let w1 = w_load4(n + 1u, k0, P.K, P.gs);
    let w2 = w_load4(n + 2u, k0, P.K, P.gs);
    let w3 = w_load4(n + 3u, k0, P.K, P.gs);
    let n4 = n / 4u;
    for (var i = 0u; i < TB; i++) {
      let d = dy[row[i] + n4];
      acc[i] += d.x * w0 + d.y * w1 + d.z * w2 + d.w * w3;
    }
  }
  let K4 = P.K / 4u;
  for (var i = 0u; i < TB; i++) {
    let t = t0 + i;
    if (t < P.T) {
      let o = t * K4 + gid.x;
      var v = acc[i];
      if (P.accumulate == 1u) { v += dx[o]; }
      dx[o] = v;
    }
  }
}
