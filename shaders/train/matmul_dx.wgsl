// Input gradient of a linear layer through a frozen weight in any format (QLoRA: dX flows through the
// dequantised int8 / int4 base): dx[t, k] = Σ_n dy[t, n] · W[n, k] (+ dx when accumulate), W [N, K]
// row-major (PyTorch [out, in]), read through a lib/weights_*.wgsl snippet concatenated in front
// (w_load4: four dequantised columns; f32 reads columns past K as 0).
// Each invocation owns 4 columns k × 4 rows t and sums over n in order (no atomics, no workgroup memory:
// the same bits on every run). Dispatch: 1-D over ceil(T / 4) * ceil(K / 4) invocations (workgroups of
// 64), split over x/y.

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

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn dy_at(t: u32, n: u32) -> f32 {
  if (t >= P.T) { return 0.0; }
  return dy[t * P.N + n];
}

fn store_dx(t: u32, k0: u32, acc: vec4<f32>) {
  if (t >= P.T) { return; }
  for (var j = 0u; j < 4u; j++) {
    let k = k0 + j;
    if (k < P.K) {
      let o = t * P.K + k;
      var v = acc[j];
      if (P.accumulate == 1u) { v = dx[o] + v; }
      dx[o] = v;
    }
  }
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  let kb = (P.K + 3u) / 4u;
  let tb = (P.T + 3u) / 4u;
  if (i >= kb * tb) { return; }
  let t0 = (i / kb) * 4u;
  let k0 = (i % kb) * 4u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var n = 0u; n < P.N; n++) {
    let w = w_load4(n, k0, P.K, P.gs);
    acc0 += dy_at(t0, n) * w;
    acc1 += dy_at(t0 + 1u, n) * w;
    acc2 += dy_at(t0 + 2u, n) * w;
    acc3 += dy_at(t0 + 3u, n) * w;
  }
  store_dx(t0, k0, acc0);
  store_dx(t0 + 1u, k0, acc1);
  store_dx(t0 + 2u, k0, acc2);
  store_dx(t0 + 3u, k0, acc3);
}
