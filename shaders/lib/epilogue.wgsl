// The epilogue the matmul kernels and the LoRA expands (bgmv, sgmv, lora_coarse) can fuse on a final result r
// (concatenated with them, it uses their `P.epilogue` and `aux`): 1 = residual: aux[o] += r; 2 = SwiGLU:
// aux[o] = silu(aux[o]) · r (aux the gate, r the up projection; the formula of silu_mul.wgsl); 0 = none.

fn epilogue(o: u32, r: f32) {
  if (P.epilogue == 1u) {
    aux[o] = aux[o] + r;
  } else if (P.epilogue == 2u) {
    let g = aux[o];
    aux[o] = g / (1.0 + exp(-g)) * r;
  }
}
