// Split output of the matmul kernels (gemv.wgsl, matmul.wgsl, matmul_coarse.wgsl; concatenated with them, it
// uses their `P.N`, `P.split1`, `P.split2` and `y`). With split1 > 0 the N output columns go to three tensors,
// each row-major at its own width: n < split1 to y[t·split1 + n], split1 ≤ n < split2 to
// out2[t·(split2 − split1) + n − split1], n ≥ split2 to out3[t·(N − split2) + n − split2] (the fused q/k/v
// projection writes q, k and v). split1 = 0: no split, y[t·N + n]. out2 / out3 are small spare buffers when
// unused (not the `aux` dummy: two writable bindings of one dispatch may not share a buffer).
// `store_out` finishes a result the same way in every matmul kernel: + bias, + the stored value when accumulating,
// stored, then the epilogue (lib/epilogue.wgsl; its `aux` index is t·N + n: no epilogue comes with a split).

@group(0) @binding(5) var<storage, read_write> out2: array<f32>;
@group(0) @binding(6) var<storage, read_write> out3: array<f32>;

// Where column n of row t is stored: x = 0 (y), 1 (out2) or 2 (out3), y = the index in that buffer.
fn out_at(t: u32, n: u32) -> vec2<u32> {
  if (P.split1 == 0u) { return vec2<u32>(0u, t * P.N + n); }
  if (n < P.split1) { return vec2<u32>(0u, t * P.split1 + n); }
  if (n < P.split2) { return vec2<u32>(1u, t * (P.split2 - P.split1) + n - P.split1); }
  return vec2<u32>(2u, t * (P.N - P.split2) + n - P.split2);
}

fn out_get(a: vec2<u32>) -> f32 {
  if (a.x == 0u) { return y[a.y]; }
  if (a.x == 1u) { return out2[a.y]; }
  return out3[a.y];
}

fn out_set(a: vec2<u32>, v: f32) {
  if (a.x == 0u) {
    y[a.y] = v;
  } else if (a.x == 1u) {
    out2[a.y] = v;
  } else {
    out3[a.y] = v;
  }
}

// Column n of row t from its raw sum v: bias, accumulate, store, epilogue.
fn store_out(t: u32, n: u32, v: f32) {
  var r = v;
  if (P.has_bias != 0u) { r += bias[n]; }
  let a = out_at(t, n);
  if (P.accumulate != 0u) { r += out_get(a); }
  out_set(a, r);
  epilogue(t * P.N + n, r);
}
