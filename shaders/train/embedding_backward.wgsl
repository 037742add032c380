// Embedding gather backward: dtable[v, :] += Σ_{t : tokens[t] = v} dy[t, :], without atomics. The host
// (which has the token ids) groups the rows by token id: `groups` lists the distinct ids, `starts[u] ..
// starts[u + 1]` the positions in `rows` of the rows of group u, ascending. One invocation per (group, 4
// columns) sums its rows in that order and adds the sum to the table's gradient once: no two invocations
// write the same place, so the result is the same bits on every run (float atomics would add in
// whatever order the hardware picks).
// Dispatch: 1-D over U * ceil(d / 4) invocations (workgroups of 64), split over x/y.

struct Params {
  U: u32,
  d: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> groups: array<i32>;
@group(0) @binding(3) var<storage, read> starts: array<i32>;
@group(0) @binding(4) var<storage, read> rows: array<i32>;
@group(0) @binding(5) var<storage, read_write> dtable: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  let cb = (P.d + 3u) / 4u;
  if (i >= P.U * cb) { return; }
  let u = i / cb;
  let k0 = (i % cb) * 4u;
  var acc = vec4<f32>(0.0);
  for (var j = starts[u]; j < starts[u + 1u]; j++) {
    let o = u32(rows[j]) * P.d + k0;
    acc += vec4<f32>(dy[o],
                     select(0.0, dy[o + 1u], k0 + 1u < P.d),
                     select(0.0, dy[o + 2u], k0 + 2u < P.d),
                     select(0.0, dy[o + 3u], k0 + 3u < P.d));
  }
  let base = u32(groups[u]) * P.d + k0;
  for (var j = 0u; j < 4u; j++) {
    if (k0 + j < P.d) { dtable[base + j] += acc[j]; }
  }
}
