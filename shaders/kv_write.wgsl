// Writes T new rows of K and V into the caches: cache[(dstRow + t) * rowLen + c] = src[srcOffset + t *
// srcStride + c] for c < rowLen (rowLen = nKvHeads * headDim). srcStride/srcOffset let K and V be read
// out of a fused projection. Caches are [maxSeq, nKvHeads, headDim].
// Dispatch: 1-D over T * rowLen, split over x/y (num_workgroups).

struct Params {
  T: u32,
  row_len: u32,
  dst_row: u32,
  src_stride: u32,
  k_offset: u32,
  v_offset: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> k_src: array<f32>;
@group(0) @binding(2) var<storage, read> v_src: array<f32>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let idx = (wid.y * nwg.x + wid.x) * 256u + li;
  if (idx >= P.T * P.row_len) { return; }
  let t = idx / P.row_len;
  let c = idx % P.row_len;
  let dst = (P.dst_row + t) * P.row_len + c;
  k_cache[dst] = k_src[P.k_offset + t * P.src_stride + c];
  v_cache[dst] = v_src[P.v_offset + t * P.src_stride + c];
}
