// `enable f16;` for the f16 arithmetic kernels (matmul_f16.wgsl). A directive must come before every declaration of
// the module, and the runtime joins a program's files in the order listed, so an op lists this file first. Only on
// a device with the `shader-f16` feature (`GpuRuntime.info.hasF16`): elsewhere the module does not compile.
enable f16;
