/**
 * Gradient influence for answers of an installed adapter that carries its training log (ModelFactory adapters keep
 * it in the `adapters` table; bundled demo adapters are installed with it when their folder ships one): the engine
 * worker's projected answer gradient, scored against every logged example — TracIn (what the record uses, the
 * documented default) and the damped inverse (reported beside it: whether it agrees on the top contribution) —
 * summed per contribution. Logs and their damped-inverse factors are kept per adapter.
 */
import type { InfluenceEvidence } from '../../attribution/attribute.ts';
import { prepareDampedInverse, dampedInverseScoresPrepared, tracInScores, type PreparedInverse } from '../../attribution/influence.ts';
import { DEFAULT_DAMPING_RATIO, influenceInputOf, influenceParams, scoresByContribution } from '../../attribution/influenceFromLog.ts';
import type { Hex } from '../../core/types.ts';
import { readTrainingLog, TRAINING_LOG_JSON, TRAINING_LOG_TENSORS, trainingLogHash, type TrainingLog } from '../../engine/train/trainingLog.ts';
import { getAdapterRecord } from '../../store/adapters.ts';
import type { TributaryDB } from '../../store/db.ts';
import type { AnswerGradientFn } from '../../workerApi/attributionApi.ts';

export type InfluenceOutcome = { evidence: InfluenceEvidence; detail: string } | { evidence: null; reason: string };

interface CachedLog {
  log: TrainingLog;
  /** the log's content hash (the record commits to it) */
  hash: Hex;
  inverse: PreparedInverse | null;
}

const top = (m: ReadonlyMap<Hex, number>): Hex | null => {
  let best: Hex | null = null;
  let v = -Infinity;
  for (const [c, s] of m) if (s > v || (s === v && best !== null && c < best)) [best, v] = [c, s];
  return best;
};

export class InfluenceFromStore {
  private readonly logs = new Map<string, CachedLog>();

  constructor(private readonly db: TributaryDB) {}

  private async logOf(adapterId: string): Promise<CachedLog | string> {
    const have = this.logs.get(adapterId);
    if (have) return have;
    const rec = await getAdapterRecord(this.db, adapterId);
    if (!rec) return 'the adapter that answered is not installed here';
    const json = rec.trainingFiles?.[TRAINING_LOG_JSON];
    const tensors = rec.trainingFiles?.[TRAINING_LOG_TENSORS];
    if (!json || !tensors) return `"${rec.name}" carries no training log (only adapters trained in ModelFactory, or shipped with their log, have one)`;
    let log: TrainingLog;
    let hash: Hex;
    try {
      const files = { json: new Uint8Array(await json.arrayBuffer()), tensors: new Uint8Array(await tensors.arrayBuffer()) };
      log = readTrainingLog(files);
      hash = trainingLogHash(files);
    } catch (e) {
      return `the training log of "${rec.name}" cannot be read (${(e as Error).message})`;
    }
    if (log.checkpoints.length === 0 || log.examples.length === 0) return `the training log of "${rec.name}" holds no gradient checkpoint`;
    const c: CachedLog = { log, hash, inverse: null };
    this.logs.set(adapterId, c);
    return c;
  }

  async influence(adapterId: string | null | undefined, prompt: string, answer: string, gradient: AnswerGradientFn | undefined): Promise<InfluenceOutcome> {
    if (!adapterId) return { evidence: null, reason: 'the base model answered: gradient influence needs an adapter trained with a training log' };
    if (!gradient) return { evidence: null, reason: 'the engine was not asked for the answer\'s gradient' };
    const cached = await this.logOf(adapterId);
    if (typeof cached === 'string') return { evidence: null, reason: cached };
    const g = await gradient({ adapterId, prompt, answer });
    if (!g.available) return { evidence: null, reason: g.reason };
    const { log } = cached;
    if (g.gradient.length !== log.projection.dim || g.projection.seed !== log.projection.seed) {
      return { evidence: null, reason: `the answer's gradient was projected into ${g.gradient.length} dims (seed ${g.projection.seed}), the log into ${log.projection.dim} (seed ${log.projection.seed})` };
    }
    const input = influenceInputOf(log);
    const byContribution = scoresByContribution(log, tracInScores(input, g.gradient));
    cached.inverse ??= prepareDampedInverse(input, DEFAULT_DAMPING_RATIO);
    const inverse = scoresByContribution(log, dampedInverseScoresPrepared(cached.inverse, g.gradient));
    const agree = top(byContribution) === top(inverse);
    return {
      evidence: {
        kind: 'tracin',
        byContribution,
        params: influenceParams(log, cached.hash, g.example, g.gradient, 'tracin'),
        gradient: g.gradient,
      },
      detail: `TracIn over ${log.examples.length} logged examples × ${log.checkpoints.length} checkpoint${log.checkpoints.length === 1 ? '' : 's'} (${log.projection.dim}-d projection, ${g.tokens} answer tokens); the damped inverse ${agree ? 'agrees on' : 'differs on'} the top contribution`,
    };
  }
}
