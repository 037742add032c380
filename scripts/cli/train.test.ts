import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MAX_PRIOR_PROMPTS } from '../../src/core/trainSettings.ts';
import { PRIOR_SOURCE, priorPrompts } from '../../src/engine/train/priorPreservation.ts';
import { parseTrainArgs, run } from './train.ts';

const dir = mkdtempSync(join(tmpdir(), 'cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const datanet = join(dir, 'bread.jsonl');
writeFileSync(
  datanet,
  [
    'Knead the dough for ten minutes until it is smooth and springs back.',
    'Let the dough rise in a warm place until it has doubled in size.',
    'Bake the loaf at two hundred degrees until the crust is brown.',
    'Cool the bread on a rack before you slice it.',
  ]
    .map((text, i) => JSON.stringify({ id: `c${i}`, contributor: '0x00000000000000000000000000000000000A11CE', text }))
    .join('\n'),
);
const base = ['--datanet', datanet, '--epochs', '0.5', '--batch-size', '4', '--seq-len', '96', '--held-out', '0', '--rank', '2', '--targets', 'q,v', '--log-dim', '4'];

describe('npm run cli -- train --prior-prompts', () => {
  it('refuses a bad count with the form\'s message', () => {
    for (const [v, msg] of [
      ['-1', /--prior-prompts: General questions must be at least 0 and at most \d+ \(0 turns prior preservation off\); got -1/],
      ['1.5', /General questions must be a whole number/],
      [String(MAX_PRIOR_PROMPTS + 1), /at most 360/],
      ['lots', /must be a number, not "lots"/],
    ] as const) {
      expect(() => parseTrainArgs([...base, '--out', dir, '--prior-prompts', v])).toThrow(msg);
    }
    expect(parseTrainArgs([...base, '--out', dir, '--prior-prompts', '0'])['prior-prompts']).toBe('0');
  });

  it("asks the demo base its general questions, trains on its answers beside the Datanet's, and writes them with the hyper-parameters", async () => {
    const out = join(dir, 'with-prior');
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(String(s)));
    try {
      await run([...base, '--out', out, '--prior-prompts', '3', '--seed', '5']);
    } finally {
      spy.mockRestore();
    }
    expect(lines.join('\n')).toMatch(/the base answers 3 general questions \(at most 64 tokens each\)[\s\S]*answered 3\/3 general questions/);
    const training = JSON.parse(readFileSync(join(out, 'tributary_training.json'), 'utf8')) as {
      hyperParameters: { priorPrompts: number; seed: number };
      priorPreservation: { questions: number; examples: number; skipped: string | null };
      priorAnswers: { prompt: string; answer: string }[];
    };
    expect(training.hyperParameters).toMatchObject({ priorPrompts: 3, seed: 5 });
    expect(training.priorAnswers.map((p) => p.prompt)).toEqual(priorPrompts(3, 5));
    const kept = training.priorAnswers.filter((p) => p.answer !== '').length;
    expect(training.priorPreservation).toEqual({ questions: 3, examples: kept, skipped: null });
    // the training log lists them (no contribution) after the Datanet's examples
    const log = JSON.parse(readFileSync(join(out, 'training_log.json'), 'utf8')) as { examples: { contributionId: string }[] };
    expect(log.examples.filter((e) => e.contributionId === PRIOR_SOURCE)).toHaveLength(kept);
    expect(log.examples.filter((e) => e.contributionId !== PRIOR_SOURCE).length).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'adapter_config.json'), 'utf8')).toMatch(/"r": 2/);
  }, 180_000);

  it('--format lm skips it and says why; 0 turns it off', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(String(s)));
    try {
      await run([...base, '--out', join(dir, 'lm'), '--format', 'lm', '--prior-prompts', '3']);
      await run([...base, '--out', join(dir, 'off'), '--prior-prompts', '0']);
    } finally {
      spy.mockRestore();
    }
    expect(lines.join('\n')).toMatch(/prior preservation skipped: --format lm trains on plain text windows/);
    const lm = JSON.parse(readFileSync(join(dir, 'lm', 'tributary_training.json'), 'utf8')) as { priorPreservation: { skipped: string | null; examples: number } };
    expect(lm.priorPreservation).toMatchObject({ examples: 0, skipped: expect.stringMatching(/--format lm/) });
    const off = JSON.parse(readFileSync(join(dir, 'off', 'tributary_training.json'), 'utf8')) as { priorPreservation: unknown; priorAnswers: unknown[] };
    expect(off.priorPreservation).toEqual({ questions: 0, examples: 0, skipped: null });
    expect(off.priorAnswers).toEqual([]);
  }, 180_000);
});
