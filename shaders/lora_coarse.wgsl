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
// Entries, run in pairs (v: scratch [T, max_rank]):
//   shrink: invocation (block, 4 ranks): v[r, j] = x[r] · A_s[j]; one x load feeds 4 ranks. groups = ceil(max_rank / 4).
//   expand: invocation (block, 4 columns): y[r, n] += scale * Σ_j v[r, j] B_s[n, j]. groups = ceil(out_dim / 4).
//   shrink8 / expand8: the same for blocks of up to 8 rows (RB) with one accumulator per row, so that one load
//           of A (or B) feeds 8 rows; rows past the block's end repeat its last row and skip the store. The host
//           uses them when runs of one adapter are long (prefill, one adapter for the whole batch) and the one-row
//           entries (blocks of 1 row) for a decode batch on mixed adapters.
// Dispatch: (min(W, 65535), ceil(W / 65535), 1) with W = ceil(n_blocks * groups / 32).
// Ranks or columns past the end load the last valid one (always in bounds) and skip the store. Rank-0 slots:
// nothing written. Every row's sums run in the same order whatever its block, so a row's result does not
// depend on the batch around it.

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

const RB = 8u;

// flat invocation index over a 2-D grid of 32-wide workgroups
fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * 32u + gid.x;
}

// pool offsets of the 4 A rows (ranks j0..j0+3, clamped to the last rank)
fn a_rows(sl: Slot, j0: u32) -> vec4<u32> {
  let last = sl.rank - 1u;
  return vec4<u32>(sl.a_off + j0 * P.in_dim, sl.a_off + min(j0 + 1u, last) * P.in_dim,
                   sl.a_off + min(j0 + 2u, last) * P.in_dim, sl.a_off + min(j0 + 3u, last) * P.in_dim);
}

// pool offsets of the 4 B rows (columns n0..n0+3, clamped to the last column)
fn b_rows(sl: Slot, n0: u32) -> vec4<u32> {
  let last = P.out_dim - 1u;
  return vec4<u32>(sl.b_off + n0 * sl.rank, sl.b_off + min(n0 + 1u, last) * sl.rank,
                   sl.b_off + min(n0 + 2u, last) * sl.rank, sl.b_off + min(n0 + 3u, last) * sl.rank);
}

fn load4(o: vec4<u32>, k: u32) -> vec4<f32> {
  return vec4<f32>(pool[o.x + k], pool[o.y + k], pool[o.z + k], pool[o.w + k]);
}

fn store_v(r: u32, j0: u32, rank: u32, acc: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    if (j0 + j < rank) { v[r * P.max_rank + j0 + j] = acc[j]; }
  }
}

fn store_y(r: u32, n0: u32, scale: f32, acc: vec4<f32>) {
  for (var c = 0u; c < 4u; c++) {
    let o = r * P.out_dim + n0 + c;
    if (n0 + c < P.out_dim) { y[o] = y[o] + scale * acc[c]; }
  }
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
  let a = a_rows(sl, j0);
  for (var r = blk.start; r < blk.start + blk.len; r++) {
    let xb = r * P.in_dim;
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < P.in_dim; k++) { acc = fma(vec4<f32>(x[xb + k]), load4(a, k), acc); }
    store_v(r, j0, sl.rank, acc);
  }
}

@compute @workgroup_size(32, 1, 1)
fn expand(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n_blocks * P.groups) { return; }
  let blk = blocks[i / P.groups];
  if (blk.slot < 0) { return; }
  let sl = slots[u32(blk.slot)];
  if (sl.rank == 0u) { return; }
  let n0 = (i % P.groups) * 4u;
  let b = b_rows(sl, n0);
  for (var r = blk.start; r < blk.start + blk.len; r++) {
    let vb = r * P.max_rank;
    var acc = vec4<f32>(0.0);
    for (var j = 0u; j < sl.rank; j++) { acc = fma(vec4<f32>(v[vb + j]), load4(b, j), acc); }
    store_y(r, n0, sl.scale, acc);
  }
}

@compute @workgroup_size(32, 1, 1)
fn shrink8(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n_blocks * P.groups) { return; }
  let blk = blocks[i / P.groups];
  if (blk.slot < 0) { return; }
  let sl = slots[u32(blk.slot)];
  let j0 = (i % P.groups) * 4u;
  if (j0 >= sl.rank) { return; }
  let a = a_rows(sl, j0);
  var xrow: array<u32, 8>;
  for (var q = 0u; q < RB; q++) { xrow[q] = (blk.start + min(q, blk.len - 1u)) * P.in_dim; }
  var acc: array<vec4<f32>, 8>;
  // zeroed by hand, as in matmul_coarse.wgsl
  for (var q = 0u; q < RB; q++) { acc[q] = vec4<f32>(0.0); }
  for (var k = 0u; k < P.in_dim; k++) {
    let w = load4(a, k);
    for (var q = 0u; q < RB; q++) { acc[q] = fma(vec4<f32>(x[xrow[q] + k]), w, acc[q]); }
  }
  for (var q = 0u; q < RB; q++) {
    if (q < blk.len) { store_v(blk.start + q, j0, sl.rank, acc[q]); }
  }
}

@compute @workgroup_size(32, 1, 1)
fn expand8(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n_blocks * P.groups) { return; }
  let blk = blocks[i / P.groups];
  if (blk.slot < 0) { return; }
  let sl = slots[u32(blk.slot)];
  if (sl.rank == 0u) { return; }
  let n0 = (i % P.groups) * 4u;
  let b = b_rows(sl, n0);
  var vrow: array<u32, 8>;
  for (var q = 0u; q < RB; q++) { vrow[q] = (blk.start + min(q, blk.len - 1u)) * P.max_rank; }
  var acc: array<vec4<f32>, 8>;
  for (var q = 0u; q < RB; q++) { acc[q] = vec4<f32>(0.0); }
  for (var j = 0u; j < sl.rank; j++) {
    let w = load4(b, j);
    for (var q = 0u; q < RB; q++) { acc[q] = fma(vec4<f32>(v[vrow[q] + j]), w, acc[q]); }
  }
  for (var q = 0u; q < RB; q++) {
    if (q < blk.len) { store_y(blk.start + q, n0, sl.scale, acc[q]); }
  }
}
