/**
 * The trainer the engine worker uses: on the engine's WebGPU device (engine/webgpu/train, the same device as chat)
 * when the engine runs on WebGPU on a hardware adapter, else on the CPU train ops (engine/train/cpu). A software
 * fallback adapter (SwiftShader and the like) trains on the CPU: there the GPU path is an emulation and slower.
 * The backend that trains is reported with the run ('webgpu' or 'cpu') and shown on the page.
 */
import { createCpuTrainOps } from '../../../engine/train/cpu/cpuTrainOps.ts';
import { createTrainer } from '../../../engine/train/trainer.ts';
import type { Trainer, TrainerInit } from '../../../engine/train/trainerApi.ts';
import type { TrainOps } from '../../../engine/train/trainOps.ts';
import type { ChosenBackend } from '../backendChoice.ts';

/** Which train ops for the engine's backend, and why. */
export function chooseTrainOps(chosen: ChosenBackend | null): { ops: TrainOps; backend: 'webgpu' | 'cpu' } {
  const gpu = chosen?.gpu;
  if (gpu?.createTrainOps && !gpu.gpu.isFallbackAdapter) {
    try {
      return { ops: gpu.createTrainOps(), backend: 'webgpu' };
    } catch (e) {
      console.warn('[engine] WebGPU training ops unavailable; training on the CPU', e);
    }
  }
  return { ops: createCpuTrainOps(), backend: 'cpu' };
}

export async function createEngineTrainer(init: Omit<TrainerInit, 'ops'>, chosen: ChosenBackend): Promise<{ trainer: Trainer; backend: string }> {
  const { ops, backend } = chooseTrainOps(chosen);
  const trainer = await createTrainer({ ...init, ops });
  return { trainer, backend };
}
