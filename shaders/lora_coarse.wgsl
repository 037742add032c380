// Coarse multi-LoRA (decode and prefill alike), the `coarse` family's BGMV/SGMV:
//   y[t] += scale_s * (x[t] · A_sᵀ) · B_sᵀ,   s = the slot of row t, A_s [rank_s, in_dim], B_s [out_dim, rank_s]
// The host cuts the rows into blocks of at most a few consecutive rows on one slot (blocks[b] = start, len,
// slot; rows without an adapter are in no block and cost nothing). A 32-row decode on 32 adapters is 32
// one-row blocks, a 32-row decode on one adapter 4 blocks of 8 rows, a prefill its segments in 8-row pieces.
//
// Why not bgmv.wgsl / sgmv.wgsl here: on a software adapter (SwiftShader) every workgroupBarrier switches the
// whole workgroup and workgroup memory buys nothing over the CPU's caches, and their tiles (256-lane
// reductions; 32×64 tiles for rank 8 and 8-row segments) mostly idle. Here each invocation owns a register
// block and loops over its whole K alone: no workgroup memory, no barrier. Invocations are numbered flat over
// (block, group), so no lane is spent on a rank or row that does not exist.
// Entries, run in order (v: scratch [T, max_rank]):
//   shrink: invocation (block, 4 ranks): v[r, j] = x[r] · A_s[j] for the block's rows; reads x once per row
//           for all 4 ranks. groups = ceil(max_rank / 4).
//   expand: invocation (block, 4 columns): y[r, n] += scale * Σ_j v[r, j] B_s[n, j]. groups = ceil(out_dim / 4).
// Dispatch: (min(W, 65535), ceil(W / 65535), 1) with W = ceil(n_blocks * groups / 32).
// Ranks or columns past the end load the last valid row (always in bounds) and skip the store. Rank-0 slots:
// nothing written.

struct Params {
  T: u32,
  in_dim: u32,
  out_dim: u32,
  max_rank: u32,
  n_blocks: u32,
  groups: u32, // ranks / 4 (shrink) or columns / 4 (expand), rounded up
  _p0: u32,
  _p1: u32,
}

struct Slot {
  a_off: u32,
  b_off: u32,
  rank: u32,
  scale: f32,
}

struct Block {
  start: u32,
  len: u32,
  slot: i32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> blocks: array<Block>;
@group(0) @binding(3) var<storage, read> slots: array<Slot>;
@group(0) @binding(4) var<storage, read> pool: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

// flat invocation index over a 2-D grid of 32-wide workgroups
fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * 32u + gid.x;
}

@compute @workgroup_size(32, 1, 1)
fn shrink(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n_blocks * P.groups) { return; }
  let blk = blocks[i / P.groups];
  if (blk.slot < 0) { return; }
  let sl = slots[u32(blk.slot)];
  let j0 = (i % P.groups) * 4u;
  if (j0 >= sl.rank) { return; }
  let last = sl.rank - 1u;
  let a0 = sl.a_off + j0 * P.in_dim;
  let a1 = sl.a_off + min(j0 + 1u, last) * P.in_dim;
  let a2 = sl.a_off + min(j0 + 2u, last) * P.in_dim;
  let a3 = sl.a_off + min(j0 + 3u, last) * P.in_dim;
  for (var r = blk.start; r < blk.start + blk.len; r++) {
    let xb = r * P.in_dim;
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < P.in_dim; k++) {
      acc = fma(vec4<f32>(x[xb + k]), vec4<f32>(pool[a0 + k], pool[a1 + k], pool[a2 + k], pool[a3 + k]), acc);
    }
    let vb = r * P.max_rank + j0;
    for (var j = 0u; j < 4u; j++) {
      if (j0 + j < sl.rank) { v[vb + j] = acc[j]; }
    }
  }
}

@compute @workgroup_size(32, 1, 1)
fn expand(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n_blocks * P.groups) { return; }
  let blk = blocks[i / P.groups];
  if (blk.slot < 0) { return; }
  let sl = slots[u32(blk.slot)];
  let rank = sl.rank;
  if (rank == 0u) { return; }
  let n0 = (i % P.groups) * 4u;
  let last = P.out_dim - 1u;
  let b0 = sl.b_off + n0 * rank;
  let b1 = sl.b_off + min(n0 + 1u, last) * rank;
  let b2 = sl.b_off + min(n0 + 2u, last) * rank;
  let b3 = sl.b_off + min(n0 + 3u, last) * rank;
  for (var r = blk.start; r < blk.start + blk.len; r++) {
    let vb = r * P.max_rank;
    var acc = vec4<f32>(0.0);
    for (var j = 0u; j < rank; j++) {
      acc = fma(vec4<f32>(v[vb + j]), vec4<f32>(pool[b0 + j], pool[b1 + j], pool[b2 + j], pool[b3 + j]), acc);
    }
    let yb = r * P.out_dim + n0;
    for (var c = 0u; c < 4u; c++) {
      if (n0 + c < P.out_dim) { y[yb + c] = y[yb + c] + sl.scale * acc[c]; }
    }
  }
}
