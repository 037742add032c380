/**
 * The trainer the engine worker uses: on the CPU train ops (engine/train/cpu). The WebGPU train ops plug in here
 * when the engine runs on WebGPU and they are available; until then a WebGPU engine trains on the CPU (its answers
 * stay on the GPU), and the page says which backend trains.
 */
import { createCpuTrainOps } from '../../../engine/train/cpu/cpuTrainOps.ts';
import { createTrainer } from '../../../engine/train/trainer.ts';
import type { Trainer, TrainerInit } from '../../../engine/train/trainerApi.ts';
import type { ChosenBackend } from '../backendChoice.ts';

export async function createEngineTrainer(init: Omit<TrainerInit, 'ops'>, _chosen: ChosenBackend): Promise<{ trainer: Trainer; backend: string }> {
  const trainer = await createTrainer({ ...init, ops: createCpuTrainOps() });
  return { trainer, backend: 'cpu' };
}
