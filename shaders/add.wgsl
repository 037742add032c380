// Residual add. Entry `main`: out[i] = a[i] + b[i]. Entry `inplace`: acc[i] += b[i] (WebGPU forbids
// binding one buffer as both a read and a writable storage binding in one dispatch, hence two entries).
// Dispatch: 1-D over n, split over x/y (num_workgroups).

struct Params {
  n: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + li;
  if (i >= P.n) { return; }
  out[i] = a[i] + b[i];
}

@compute @workgroup_size(256, 1, 1)
fn inplace(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + li;
  if (i >= P.n) { return; }
  out[i] = out[i] + b[i];
}
