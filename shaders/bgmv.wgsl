// Multi-LoRA for decode, BGMV (batched gather matrix-vector, as in Punica): every row t of the batch
// uses adapter slot rowSlot[t] (-1: no adapter, the row is skipped and costs nothing):
//   y[t] += scale_s * (x[t] · A_sᵀ) · B_sᵀ,   A_s: [rank_s, inDim], B_s: [outDim, rank_s]
// A_s and B_s live anywhere in one f32 pool buffer; slots[s] gives their element offsets, rank, scale.
// Two entry points run in order:
//   shrink: v[t, j] = x[t] · A_s[j] for j < rank_s. 256 threads = 8 ranks x 32 lanes.
//           Dispatch: (ceil(maxRank / 8), T, 1).
//   expand: y[t, n] += scale_s * sum_j v[t, j] B_s[n, j]. One thread per output column.
//           Dispatch: (ceil(outDim / 256), T, 1).
// v is scratch [T, maxRank]. Rank 0 slots leave y untouched.
// Epilogue (the expand's; the backend's pending matmul hands it over when the module has LoRA, see
// webgpuBackend.ts `pending`): after y[t, n] is final, 1 = residual: aux[o] += y[o]; 2 = SwiGLU:
// aux[o] = silu(aux[o]) · y[o] (as in matmul_coarse.wgsl), on every row, rows without an adapter included.

struct Params {
  T: u32,
  in_dim: u32,
  out_dim: u32,
  max_rank: u32,
  epilogue: u32, // 0 none, 1 residual, 2 SwiGLU (expand only)
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

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> row_slot: array<i32>;
@group(0) @binding(3) var<storage, read> slots: array<Slot>;
@group(0) @binding(4) var<storage, read> pool: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> aux: array<f32>; // the epilogue's target (a dummy when none)

const LANES = 32u;
var<workgroup> part: array<f32, 256>;
var<workgroup> wg_slot: i32;

@compute @workgroup_size(256, 1, 1)
fn shrink(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wid.y;
  if (li == 0u) { wg_slot = row_slot[t]; }
  let s = workgroupUniformLoad(&wg_slot); // uniform, so the early return keeps barriers uniform
  if (s < 0) { return; }
  let slot = slots[u32(s)];
  let j = wid.x * 8u + li / LANES;
  let lane = li % LANES;
  var acc = 0.0;
  if (j < slot.rank) {
    let xb = t * P.in_dim;
    let ab = slot.a_off + j * P.in_dim;
    for (var k = lane; k < P.in_dim; k += LANES) { acc = fma(x[xb + k], pool[ab + k], acc); }
  }
  part[li] = acc;
  workgroupBarrier();
  for (var off = LANES / 2u; off > 0u; off >>= 1u) {
    if (lane < off) { part[li] += part[li + off]; }
    workgroupBarrier();
  }
  if (lane == 0u && j < slot.rank) { v[t * P.max_rank + j] = part[li]; }
}

@compute @workgroup_size(256, 1, 1)
fn expand(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wid.y;
  let n = wid.x * 256u + li;
  if (n >= P.out_dim) { return; }
  let o = t * P.out_dim + n;
  let s = row_slot[t];
  if (s >= 0) {
    let slot = slots[u32(s)];
    if (slot.rank > 0u) {
      let vb = t * P.max_rank;
      let bb = slot.b_off + n * slot.rank;
      var acc = 0.0;
      for (var j = 0u; j < slot.rank; j++) { acc = fma(v[vb + j], pool[bb + j], acc); }
      let r = y[o] + slot.scale * acc;
      y[o] = r;
      epilogue(o, r);
      return;
    }
  }
  // no adapter (or rank 0): y stays the base result
  if (P.epilogue != 0u) { epilogue(o, y[o]); }
}
