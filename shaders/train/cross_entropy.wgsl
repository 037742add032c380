// Softmax cross-entropy with a per-row loss weight, forward and backward. logits [T, V]; targets i32 [T];
// row_weight f32 [T]: the loss mask times the normalisation (e.g. mask / counted rows), 0 for padding and for
// prompt tokens when only answers count (a row whose target is outside 0..V-1 counts as weight 0).
// `stats` (one invocation per row): lse[t] = log Σ_v exp(logits[t, v]) (max subtracted), and the row's
//   unweighted loss loss_rows[t] = lse[t] − logits[t, target] (0 for a target outside 0..V-1).
// `grad` (one invocation per row × 4 columns, after `stats`):
//   dlogits[t, v] = row_weight[t] · (exp(logits[t, v] − lse[t]) − [v == target]) (overwritten).
// `total` (one invocation): loss[0] = Σ_t row_weight[t] · loss_rows[t] in order (the weighted loss: one value
// to read back).
// No atomics: the same bits on every run. Dispatch: 1-D over T, T * ceil(V / 4) or 1 invocations
// (workgroups of 64), split over x/y.

struct Params {
  T: u32,
  V: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> row_weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss_rows: array<f32>;
@group(0) @binding(6) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;

fn flat(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + li;
}

fn weight_of(t: u32) -> f32 {
  let tg = targets[t];
  if (tg < 0 || u32(tg) >= P.V) { return 0.0; }
  return row_weight[t];
}

@compute @workgroup_size(64, 1, 1)
fn stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = flat(wid, nwg, li);
  if (t >= P.T) { return; }
  let base = t * P.V;
  var mx = logits[base];
  for (var v = 1u; v < P.V; v++) { mx = max(mx, logits[base + v]); }
  var s = 0.0;
  for (var v = 0u; v < P.V; v++) { s += exp(logits[base + v] - mx); }
  let l = mx + log(s);
  lse[t] = l;
  let tg = targets[t];
  var row_loss = 0.0;
  if (tg >= 0 && u32(tg) < P.V) { row_loss = l - logits[base + u32(tg)]; }
  loss_rows[t] = row_loss;
}

@compute @workgroup_size(64, 1, 1)
fn grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flat(wid, nwg, li);
  let cb = (P.V + 3u) / 4u;
  if (i >= P.T * cb) { return; }
  let t = i / cb;
  let v0 = (i % cb) * 4u;
  let w = weight_of(t);
  let l = lse[t];
  let tg = targets[t];
  for (var j = 0u; j < 4u; j++) {
    let v = v0 + j;
    if (v < P.V) {
      let o = t * P.V + v;
      var g = 0.0;
      if (w != 0.0) {
        g = exp(logits[o] - l);
        if (i32(v) == tg) { g -= 1.0; }
        g *= w;
      }
      dlogits[o] = g;
    }
  }
}

@compute @workgroup_size(1, 1, 1)
fn total() {
  var s = 0.0;
  for (var t = 0u; t < P.T; t++) { s += weight_of(t) * loss_rows[t]; }
  loss[0] = s;
}
