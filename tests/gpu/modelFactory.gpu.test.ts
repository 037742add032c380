/**
 * ModelFactory on a WebGPU engine (Dawn + SwiftShader): the engine's training action trains on the SAME device and
 * runtime as chat (WebGpuTrainOps over the inference backend's runtime, services/engine/webgpuHandle), the losses
 * follow the CPU run of the same settings within the Trainer's stated tolerance (tests/gpu/trainer.gpu.test.ts:
 * 1e-4 · (1 + loss) per step on this small model), and the saved adapter answers on the WebGPU inference path right
 * after training on that device. The handle says the adapter is a hardware one: on a software fallback adapter the
 * engine would train on the CPU (engineTrainer.ts), which is not what this test is about.
 */
import 'fake-indexeddb/auto';
import { expect, it } from 'vitest';
import type { TrainingEvent } from '../../src/workerApi/trainingApi.ts';
import { WebGpuTrainOps } from '../../src/engine/webgpu/train/webgpuTrainOps.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import type { GpuBackendHandle } from '../../src/services/engine/backendChoice.ts';
import { REQ, makeEngine, seedData } from '../../src/services/engine/training/training.testkit.ts';
import { TributaryDB } from '../../src/store/db.ts';
import { getTrainingRun } from '../../src/store/trainingRuns.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';

describeGpu('ModelFactory on a WebGPU engine', () => {
  it('trains on the engine device with the CPU run’s losses, then chats with the adapter on WebGPU', async () => {
    const rt = await createTestRuntime();
    const backend = new WebGpuBackend(rt);
    const handle: GpuBackendHandle = {
      backend,
      gpu: { vendor: 'test', architecture: 'swiftshader', device: 'dawn', description: 'Dawn + SwiftShader (test)', isFallbackAdapter: false, hasF16: false },
      lost: new Promise<string>(() => undefined),
      destroy: () => backend.destroy(),
      loseDevice: () => rt.device.destroy(),
      createTrainOps: () => new WebGpuTrainOps(rt),
    };
    const req = { ...REQ, settings: { ...REQ.settings, epochs: 1 } };

    const cpuDb = new TributaryDB(`gpu-train-${crypto.randomUUID()}`);
    await seedData(cpuDb);
    const cpu = await makeEngine(cpuDb).startTraining(req);
    const cpuRun = (await getTrainingRun(cpuDb, cpu.runId))!;

    const db = new TributaryDB(`gpu-train-${crypto.randomUUID()}`);
    await seedData(db);
    const engine = makeEngine(db, () => Promise.resolve(handle));
    const events: TrainingEvent[] = [];
    const out = await engine.startTraining(req, (e) => events.push(e));
    expect(events[0]).toMatchObject({ type: 'started', backend: 'webgpu' });
    expect(out.status).toBe('done');
    const run = (await getTrainingRun(db, out.runId))!;
    expect(run.train.length).toBe(cpuRun.train.length);
    run.train.forEach((p, i) => {
      const c = cpuRun.train[i]!;
      expect(Math.abs(p.loss - c.loss), `step ${p.step}: ${p.loss} on WebGPU, ${c.loss} on the CPU`).toBeLessThanOrEqual(1e-4 * (1 + c.loss));
    });
    expect(run.heldOut.at(-1)!.loss).toBeLessThan(run.baseHeldOutLoss!);

    const saved = await engine.saveTrainedAdapter(out.runId, { name: 'GPU bread', owner: null, pricePerAnswer: 0n });
    const answer = await engine.chat('gpu-after-train', [{ role: 'user', content: 'Tell me about Bread 1.' }], { adapterId: saved.id, maxTokens: 6, temperature: 0 });
    expect(answer.backend).toBe('webgpu');
    expect(answer.adapterName).toBe('GPU bread');
    expect(answer.generated).toBeGreaterThan(0);
    backend.destroy();
  }, 300_000);
});
