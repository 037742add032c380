// Paged KV write: row t of k_src and v_src ([T, rowLen], rowLen = nKvHeads * headDim) goes to pool row
// dst_rows[t] of k_pool and v_pool ([nPages * pageSize, rowLen]). One dispatch writes the whole batch's
// new keys and values, whatever sequences (pages) the rows belong to.
// Dispatch: 1-D over T * rowLen, split over x/y (num_workgroups).

struct Params {
  T: u32,
  row_len: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> k_src: array<f32>;
@group(0) @binding(2) var<storage, read> v_src: array<f32>;
@group(0) @binding(3) var<storage, read> dst_rows: array<i32>;
@group(0) @binding(4) var<storage, read_write> k_pool: array<f32>;
@group(0) @binding(5) var<storage, read_write> v_pool: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let idx = (wid.y * nwg.x + wid.x) * 256u + li;
  if (idx >= P.T * P.row_len) { return; }
  let t = idx / P.row_len;
  let c = idx % P.row_len;
  let dst = u32(dst_rows[t]) * P.row_len + c;
  let src = t * P.row_len + c;
  k_pool[dst] = k_src[src];
  v_pool[dst] = v_src[src];
}
