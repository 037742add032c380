import type { Progress, ProgressStage } from '../../workerApi/dataApi.ts';

const STAGE_LABELS: Record<ProgressStage, string> = {
  reading: 'Reading',
  extracting: 'Extracting text',
  chunking: 'Cutting into passages',
  hashing: 'Hashing',
  checking: 'Checking duplicates and limits',
  signing: 'Signing',
  writing: 'Saving',
  verifying: 'Verifying',
  downloading: 'Downloading',
};

/** `Extracting text — report.pdf (40 %)` */
export function describeProgress(p: Progress): string {
  const stage = STAGE_LABELS[p.stage] ?? p.stage;
  const subject = p.subject ? ` — ${p.subject}` : '';
  const pct = p.total > 0 ? ` (${Math.min(100, Math.round((p.done / p.total) * 100))} %)` : '';
  return `${stage}${subject}${pct}`;
}
