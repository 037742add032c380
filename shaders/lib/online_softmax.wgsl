// The online (streaming) softmax of every attention kernel (FlashAttention's loop), written once: scores arrive in
// blocks; a running max m and a running sum l of exp(score - m) are kept, and whatever was accumulated under the
// old max is rescaled by alpha = exp(m_old - m_new) when a block raises it. Included before attention.wgsl,
// attention_coarse.wgsl, paged_attention.wgsl and paged_attention_coarse.wgsl.

const NEG_BIG = -3.0e38;

struct SoftmaxMax {
  m_new: f32,
  alpha: f32,
}

// The new running max after a block whose largest score is block_max, and the rescale for what came before.
fn online_softmax_max(m: f32, block_max: f32) -> SoftmaxMax {
  let m_new = max(m, block_max);
  return SoftmaxMax(m_new, exp(m - m_new));
}

struct SoftmaxBlock4 {
  alpha: f32,
  p: vec4<f32>,
}

// A block of four scores (lanes not `valid` are masked out): updates m and l in place and returns the rescale for
// the accumulator and the four weights exp(s - m).
fn online_softmax4(m: ptr<function, f32>, l: ptr<function, f32>, scores: vec4<f32>, valid: vec4<bool>) -> SoftmaxBlock4 {
  let s = select(vec4<f32>(NEG_BIG), scores, valid);
  let mx = online_softmax_max(*m, max(max(s.x, s.y), max(s.z, s.w)));
  let p = select(vec4<f32>(0.0), exp(s - vec4<f32>(mx.m_new)), valid);
  *l = *l * mx.alpha + (p.x + p.y) + (p.z + p.w);
  *m = mx.m_new;
  return SoftmaxBlock4(mx.alpha, p);
}
