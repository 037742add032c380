// Multi-LoRA for prefill, SGMV-style (segmented gather matmul, as in Punica / S-LoRA): the batch's
// rows are cut into segments of consecutive rows that share an adapter slot (segments[z] = start,
// len, slot; slot -1 segments are skipped), and each segment runs a tiled matmul against its own A / B
// from the f32 pool:
//   mode 0 (shrink): v[r, 0..rank) = x[r] · Aᵀ         (N = rank, K = inDim)
//   mode 1 (expand): y[r, :] += scale * v[r] · Bᵀ        (N = outDim, K = rank)
// Tiles: 32 rows x 64 columns per workgroup (16x16 threads, 2x4 each), K in steps of 32 through
// workgroup memory (12 KiB).
// Dispatch: (ceil(N_max / 64), ceil(maxSegLen / 32), nSegments).
// Epilogue (mode 1 only; the backend's pending matmul hands it over when the module has LoRA): after y[r, n]
// is final, 1 = residual: aux[o] += y[o]; 2 = SwiGLU: aux[o] = silu(aux[o]) · y[o] (as in
// matmul_coarse.wgsl). Every row needs it, so then the expand's segments also cover the rows without an
// adapter (slot -1 or a rank-0 slot: y untouched, only the epilogue over the workgroup's 32×64 tile).

struct Params {
  T: u32,
  in_dim: u32,
  out_dim: u32,
  max_rank: u32,
  mode: u32,
  epilogue: u32, // 0 none, 1 residual, 2 SwiGLU (mode 1 only)
  _p1: u32,
  _p2: u32,
}

struct Slot {
  a_off: u32,
  b_off: u32,
  rank: u32,
  scale: f32,
}

struct Segment {
  start: u32,
  len: u32,
  slot: i32,
  _p0: u32,
}

struct Info {
  start: u32,
  len: u32,
  slot: i32,
  N: u32,
  K: u32,
  off: u32,
  scale: f32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> slots: array<Slot>;
@group(0) @binding(4) var<storage, read> pool: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read> segments: array<Segment>;
@group(0) @binding(8) var<storage, read_write> aux: array<f32>; // the epilogue's target (a dummy when none)

const TM = 32u;
const TN = 64u;
const TK = 32u;

var<workgroup> xs: array<f32, 1024>; // [TK][TM]
var<workgroup> ws: array<f32, 2048>; // [TK][TN]
var<workgroup> wg_info: Info;

fn in_load(r: u32, k: u32) -> f32 {
  if (P.mode == 0u) { return x[r * P.in_dim + k]; }
  return v[r * P.max_rank + k];
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  if (li == 0u) {
    let sg = segments[wid.z];
    var inf: Info;
    inf.start = sg.start;
    inf.len = sg.len;
    inf.slot = sg.slot;
    if (sg.slot >= 0) {
      let sl = slots[u32(sg.slot)];
      inf.scale = sl.scale;
      if (P.mode == 0u) {
        inf.N = sl.rank;
        inf.K = P.in_dim;
        inf.off = sl.a_off;
      } else {
        inf.N = P.out_dim;
        inf.K = sl.rank;
        inf.off = sl.b_off;
      }
      if (sl.rank == 0u) { inf.slot = -1; }
    }
    wg_info = inf;
  }
  let info = workgroupUniformLoad(&wg_info);
  let r0 = wid.y * TM;
  let n0 = wid.x * TN;
  if (info.slot < 0) {
    // no adapter (or rank 0): y stays; an expand with an epilogue still owes it to these rows
    if (P.mode == 1u && P.epilogue != 0u && r0 < info.len) {
      for (var i = 0u; i < 2u; i++) {
        let r = r0 + lid.y + 16u * i;
        if (r >= info.len) { continue; }
        for (var j = 0u; j < 4u; j++) {
          let n = n0 + lid.x + 16u * j;
          if (n < P.out_dim) {
            let o = (info.start + r) * P.out_dim + n;
            epilogue(o, y[o]);
          }
        }
      }
    }
    return;
  }
  if (r0 >= info.len || n0 >= info.N) { return; }

  var acc: array<f32, 8>; // acc[i * 4 + j]: row r0 + lid.y + 16 i, column n0 + lid.x + 16 j
  for (var k0 = 0u; k0 < info.K; k0 += TK) {
    for (var e = 0u; e < 4u; e++) {
      let idx = li + e * 256u;
      let m = idx / TK;
      let kk = idx % TK;
      var xv = 0.0;
      if (r0 + m < info.len && k0 + kk < info.K) { xv = in_load(info.start + r0 + m, k0 + kk); }
      xs[kk * TM + m] = xv;
    }
    for (var e = 0u; e < 8u; e++) {
      let idx = li + e * 256u;
      let m = idx / TK;
      let kk = idx % TK;
      var wv = 0.0;
      if (n0 + m < info.N && k0 + kk < info.K) { wv = pool[info.off + (n0 + m) * info.K + k0 + kk]; }
      ws[kk * TN + m] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a0 = xs[kk * TM + lid.y];
      let a1 = xs[kk * TM + lid.y + 16u];
      for (var j = 0u; j < 4u; j++) {
        let b = ws[kk * TN + lid.x + 16u * j];
        acc[j] = fma(a0, b, acc[j]);
        acc[4u + j] = fma(a1, b, acc[4u + j]);
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 2u; i++) {
    let r = r0 + lid.y + 16u * i;
    if (r >= info.len) { continue; }
    let row = info.start + r;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x + 16u * j;
      if (n >= info.N) { continue; }
      if (P.mode == 0u) {
        v[row * P.max_rank + n] = acc[i * 4u + j];
      } else {
        let o = row * P.out_dim + n;
        let r = y[o] + info.scale * acc[i * 4u + j];
        y[o] = r;
        epilogue(o, r);
      }
    }
  }
}
