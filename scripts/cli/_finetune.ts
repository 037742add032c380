/**
 * The evaluation's fine-tuning step, through train-cpu's trainer (src/engine/train) when it is present in this
 * tree. Returns null when the training engine is not available, so the caller answers with the base model and
 * says so.
 */
import type { InfluenceEvidence } from '../../src/attribution/attribute.ts';
import type { DatanetSource } from '../../src/attribution/datanetIndex.ts';
import type { LoadedModel } from './_model.ts';

export interface FineTuned {
  model: LoadedModel;
  influence(prompt: string, answer: string): Promise<InfluenceEvidence | null>;
}

export async function fineTuneIfAvailable(_base: LoadedModel, _source: DatanetSource, log: (s: string) => void): Promise<FineTuned | null> {
  log('the training engine (src/engine/train createTrainer) is not in this tree yet');
  return null;
}
