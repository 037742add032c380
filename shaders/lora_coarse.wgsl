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
// Entries (v: scratch [T, max_rank]):
//   shrink: invocation (block, 4 ranks): v[r, j] = x[r] · A_s[j]; one x load feeds 4 ranks. groups = ceil(max_rank / 4).
//           Run on one-row blocks: there are few of these invocations, and rows spread them over the threads.
//   expand: invocation (block, 4 columns): y[r, n] += scale * Σ_j v[r, j] B_s[n, j]. groups = ceil(out_dim / 4).
//   expand8: the same for blocks of up to 8 rows (RB) with one accumulator per row, so that one load of B feeds
//           8 rows; rows past the block's end repeat its last row and skip the store. The host uses it when runs
//           of one adapter are long (prefill, one adapter for the whole batch), `expand` (one-row blocks) for a
//           decode batch on mixed adapters.
// Dispatch: (min(W, 65535), ceil(W / 65535), 1) with W = ceil(n_blocks * groups / wg), wg = 8 (shrink) or 32.
// Ranks or columns past the end load the last valid one (always in bounds) and skip the store. Rank-0 slots:
// nothing written. Every row's sums run in the same order whatever its block, so a row's result does not
// depend on the batch around it.
// vec4 loads (x, A, B, v read as array<vec4<f32>> through second bindings of the same buffers) where the
// matrices are 4-aligned: shrink when in_dim % 4 == 0 and the slot's a_off % 4 == 0; expand when
// max_rank % 4 == 0 and the slot's rank and b_off are multiples of 4 (the backend's pools are, for ranks
// that are). Else scalar loads. The choice depends on the slot, never on the batch.
// Epilogue (expand / expand8; the backend's pending matmul hands it over when the module has LoRA): after
// y[r, n] is final, 1 = residual: aux[o] += y[o]; 2 = SwiGLU: aux[o] = silu(aux[o]) · y[o] (as in
// matmul_coarse.wgsl). Every row needs it, so then the expand's blocks also cover the rows without an adapter
// (blocks with slot -1, or a rank-0 slot: y untouched, only the epilogue).

struct Params {
  T: u32,
  in_dim: u32,
  out_dim: u32,
  max_rank: u32,
  n_blocks: u32,
  groups: u32, // ranks / 4 (shrink) or columns / 4 (expand), rounded up
  vec_x: u32, // in_dim % 4 == 0
  vec_v: u32, // max_rank % 4 == 0
  epilogue: u32, // 0 none, 1 residual, 2 SwiGLU (the expands only)
  _p0: u32,
  _p1: u32,
  _p2: u32,
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
@group(0) @binding(7) var<storage, read> pool4: array<vec4<f32>>; // = pool
@group(0) @binding(8) var<storage, read> x4: array<vec4<f32>>;    // = x
// the expand only reads v, through these (read-only, so that both views may be bound at once)
@group(0) @binding(9) var<storage, read> v4: array<vec4<f32>>;    // = v
@group(0) @binding(10) var<storage, read> v_in: array<f32>;       // = v
@group(0) @binding(11) var<storage, read_write> aux: array<f32>;  // the epilogue's target (a dummy when none)

const RB = 8u;

// flat invocation index over a 2-D grid of workgroups `wg` wide
fn flat(gid: vec3<u32>, nwg: vec3<u32>, wg: u32) -> u32 {
  return gid.y * nwg.x * wg + gid.x;
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

// Σ_k x[x_at + k] · pool[o[c] + k] for the 4 pool rows o (k < n); scalar loads
fn dot_x(o: vec4<u32>, x_at: u32, n: u32) -> vec4<f32> {
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < n; k++) { acc = fma(vec4<f32>(x[x_at + k]), load4(o, k), acc); }
  return acc;
}

// the same on vec4 words (o4, x_at4, n4 in vec4s)
fn dot_x4(o4: vec4<u32>, x_at4: u32, n4: u32) -> vec4<f32> {
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < n4; k++) {
    let w = x4[x_at4 + k];
    acc += vec4<f32>(dot(w, pool4[o4.x + k]), dot(w, pool4[o4.y + k]), dot(w, pool4[o4.z + k]), dot(w, pool4[o4.w + k]));
  }
  return acc;
}

// the two above with v (the expand's input) for x
fn dot_v(o: vec4<u32>, v_at: u32, n: u32) -> vec4<f32> {
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < n; k++) { acc = fma(vec4<f32>(v_in[v_at + k]), load4(o, k), acc); }
  return acc;
}

fn dot_v4(o4: vec4<u32>, v_at4: u32, n4: u32) -> vec4<f32> {
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < n4; k++) {
    let w = v4[v_at4 + k];
    acc += vec4<f32>(dot(w, pool4[o4.x + k]), dot(w, pool4[o4.y + k]), dot(w, pool4[o4.z + k]), dot(w, pool4[o4.w + k]));
  }
  return acc;
}

fn store_y(r: u32, n0: u32, scale: f32, acc: vec4<f32>) {
  for (var c = 0u; c < 4u; c++) {
    let o = r * P.out_dim + n0 + c;
    if (n0 + c < P.out_dim) {
      let v = y[o] + scale * acc[c];
      y[o] = v;
      epilogue(o, v);
    }
  }
}

// a block without LoRA work (slot -1 or rank 0) in an expand: y stays, the epilogue (if any) still runs
fn epilogue_only(blk: Block, n0: u32) {
  if (P.epilogue == 0u) { return; }
  for (var r = blk.start; r < blk.start + blk.len; r++) {
    for (var c = 0u; c < 4u; c++) {
      let o = r * P.out_dim + n0 + c;
      if (n0 + c < P.out_dim) { epilogue(o, y[o]); }
    }
  }
}

// 8-wide workgroups: a decode batch has only T * max_rank / 4 of these invocations (64 for 32 rows at rank 8),
// and a workgroup runs on one CPU thread, so 32-wide ones would leave a core idle.
@compute @workgroup_size(8, 1, 1)
fn shrink(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg, 8u);
  if (i >= P.n_blocks * P.groups) { return; }
  let blk = blocks[i / P.groups];
  if (blk.slot < 0) { return; }
  let sl = slots[u32(blk.slot)];
  let j0 = (i % P.groups) * 4u;
  if (j0 >= sl.rank) { return; }
  let a = a_rows(sl, j0);
  let vec = P.vec_x != 0u && sl.a_off % 4u == 0u;
  for (var r = blk.start; r < blk.start + blk.len; r++) {
    var acc: vec4<f32>;
    if (vec) { acc = dot_x4(a / 4u, r * P.in_dim / 4u, P.in_dim / 4u); } else { acc = dot_x(a, r * P.in_dim, P.in_dim); }
    for (var j = 0u; j < 4u; j++) {
      if (j0 + j < sl.rank) { v[r * P.max_rank + j0 + j] = acc[j]; }
    }
  }
}

@compute @workgroup_size(32, 1, 1)
fn expand(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg, 32u);
  if (i >= P.n_blocks * P.groups) { return; }
  let blk = blocks[i / P.groups];
  let n0 = (i % P.groups) * 4u;
  if (blk.slot < 0) { epilogue_only(blk, n0); return; }
  let sl = slots[u32(blk.slot)];
  if (sl.rank == 0u) { epilogue_only(blk, n0); return; }
  let b = b_rows(sl, n0);
  let vec = P.vec_v != 0u && (sl.rank | sl.b_off) % 4u == 0u;
  for (var r = blk.start; r < blk.start + blk.len; r++) {
    var acc: vec4<f32>;
    if (vec) { acc = dot_v4(b / 4u, r * P.max_rank / 4u, sl.rank / 4u); } else { acc = dot_v(b, r * P.max_rank, sl.rank); }
    store_y(r, n0, sl.scale, acc);
  }
}

// expand for blocks of up to RB rows: each load of B feeds every row of the block. Same sums per row as `expand`.
@compute @workgroup_size(32, 1, 1)
fn expand8(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg, 32u);
  if (i >= P.n_blocks * P.groups) { return; }
  let blk = blocks[i / P.groups];
  let n0 = (i % P.groups) * 4u;
  if (blk.slot < 0) { epilogue_only(blk, n0); return; }
  let sl = slots[u32(blk.slot)];
  if (sl.rank == 0u) { epilogue_only(blk, n0); return; }
  let b = b_rows(sl, n0);
  var vrow: array<u32, 8>;
  for (var q = 0u; q < RB; q++) { vrow[q] = (blk.start + min(q, blk.len - 1u)) * P.max_rank; }
  var acc: array<vec4<f32>, 8>;
  // zeroed by hand, as in matmul_coarse.wgsl
  for (var q = 0u; q < RB; q++) { acc[q] = vec4<f32>(0.0); }
  if (P.vec_v != 0u && (sl.rank | sl.b_off) % 4u == 0u) {
    let b4 = b / 4u;
    for (var j = 0u; j < sl.rank / 4u; j++) {
      let w0 = pool4[b4.x + j];
      let w1 = pool4[b4.y + j];
      let w2 = pool4[b4.z + j];
      let w3 = pool4[b4.w + j];
      for (var q = 0u; q < RB; q++) {
        let a = v4[vrow[q] / 4u + j];
        acc[q] += vec4<f32>(dot(a, w0), dot(a, w1), dot(a, w2), dot(a, w3));
      }
    }
  } else {
    for (var j = 0u; j < sl.rank; j++) {
      let w = load4(b, j);
      for (var q = 0u; q < RB; q++) { acc[q] = fma(vec4<f32>(v_in[vrow[q] + j]), w, acc[q]); }
    }
  }
  for (var q = 0u; q < RB; q++) {
    if (q < blk.len) { store_y(blk.start + q, n0, sl.scale, acc[q]); }
  }
}
