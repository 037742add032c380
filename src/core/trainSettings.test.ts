import { describe, expect, it } from 'vitest';
import { isTributaryError } from './errors.ts';
import { DEFAULT_TRAIN_SETTINGS, MAX_PRIOR_PROMPTS, assertTrainSettings, draftOf, parsePriorPrompts, parseTrainSettings, type TrainSettingsDraft } from './trainSettings.ts';

const limits = { contextLength: 256, maxRank: 16 };
const draft = (patch: Partial<TrainSettingsDraft> = {}): TrainSettingsDraft => ({ ...draftOf(DEFAULT_TRAIN_SETTINGS), ...patch });

describe('parseTrainSettings', () => {
  it('accepts the defaults and returns numbers', () => {
    const r = parseTrainSettings(draft(), limits);
    expect(r).toEqual({ ok: true, settings: DEFAULT_TRAIN_SETTINGS });
  });

  it('accepts exponent notation and keeps targets in LORA order', () => {
    const r = parseTrainSettings(draft({ learningRate: '3e-4', targets: ['down', 'q', 'v'] }), limits);
    expect(r.ok && r.settings.learningRate).toBe(3e-4);
    expect(r.ok && r.settings.targets).toEqual(['q', 'v', 'down']);
  });

  it('names every bad field with what is allowed', () => {
    const r = parseTrainSettings(
      draft({ rank: '0', alpha: '-2', dropout: '1', learningRate: '0', epochs: '0', batchSize: 'four', seqLen: '4096', targets: [], clip: '' }),
      limits,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.rank).toMatch(/Rank must be at least 1 and at most 16.*adapter slots/);
    expect(r.errors.alpha).toMatch(/Alpha must be above 0/);
    expect(r.errors.dropout).toMatch(/Dropout must be at least 0 and at most 0.9/);
    expect(r.errors.learningRate).toMatch(/Learning rate must be above 0/);
    expect(r.errors.epochs).toMatch(/Epochs must be above 0 and at most 100/);
    expect(r.errors.rank).not.toMatch(/whole/);
    expect(r.errors.batchSize).toMatch(/Batch size must be a number, not "four"/);
    expect(r.errors.seqLen).toMatch(/at most 256.*context length/);
    expect(r.errors.targets).toMatch(/at least one target module/);
    expect(r.errors.clip).toMatch(/Gradient clip is empty/);
    expect(r.errors.seed).toBeUndefined();
  });

  it('accepts a fraction of an epoch but not a fractional rank', () => {
    const r = parseTrainSettings(draft({ epochs: '0.25' }), limits);
    expect(r.ok && r.settings.epochs).toBe(0.25);
    const bad = parseTrainSettings(draft({ rank: '2.5' }), limits);
    expect(!bad.ok && bad.errors.rank).toMatch(/Rank must be a whole number \(got 2.5\)/);
  });

  it('refuses NaN, Infinity and hex in every numeric field', () => {
    for (const bad of ['NaN', 'Infinity', '0x10', '1/2', '--1']) {
      const r = parseTrainSettings(draft({ alpha: bad }), limits);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(Object.keys(r.errors)).toEqual(['alpha']);
    }
  });

  it('caps the rank at the serving maximum even when the slots are larger', () => {
    const r = parseTrainSettings(draft({ rank: '64' }), { contextLength: 256, maxRank: 64 });
    expect(!r.ok && r.errors.rank).toMatch(/at most 32/);
  });

  it('refuses an unknown target module', () => {
    const r = parseTrainSettings(draft({ targets: ['q', 'lm_head' as never] }), limits);
    expect(!r.ok && r.errors.targets).toMatch(/Unknown target module "lm_head"/);
  });
});

describe('prior preservation (general questions answered by the base)', () => {
  it('defaults to 48; 0 turns it off; the most is what the question list gives', () => {
    expect(DEFAULT_TRAIN_SETTINGS.priorPrompts).toBe(48);
    const off = parseTrainSettings(draft({ priorPrompts: '0' }), limits);
    expect(off.ok && off.settings.priorPrompts).toBe(0);
    const most = parseTrainSettings(draft({ priorPrompts: String(MAX_PRIOR_PROMPTS) }), limits);
    expect(most.ok && most.settings.priorPrompts).toBe(MAX_PRIOR_PROMPTS);
  });

  it('refuses a negative, fractional, too large or non-numeric count with what is allowed, and only that field', () => {
    const cases: [string, RegExp][] = [
      ['-1', new RegExp(`General questions must be at least 0 and at most ${MAX_PRIOR_PROMPTS} \\(0 turns prior preservation off\\); got -1`)],
      ['2.5', /General questions must be a whole number \(got 2.5\)/],
      [String(MAX_PRIOR_PROMPTS + 1), new RegExp(`at most ${MAX_PRIOR_PROMPTS}.*got ${MAX_PRIOR_PROMPTS + 1}`)],
      ['many', /General questions must be a number, not "many"/],
      ['', /General questions is empty; enter a whole number at least 0/],
    ];
    for (const [text, message] of cases) {
      const r = parseTrainSettings(draft({ priorPrompts: text }), limits);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(Object.keys(r.errors)).toEqual(['priorPrompts']);
      expect(r.errors.priorPrompts).toMatch(message);
      // the headless trainer's --prior-prompts gets the same message
      expect(parsePriorPrompts(text)).toEqual({ error: r.errors.priorPrompts });
    }
    expect(parsePriorPrompts(' 12 ')).toEqual({ value: 12 });
  });

  it('the worker refuses a settings object without it (a run stored before the field existed is migrated, not passed in)', () => {
    const { priorPrompts: _p, ...old } = DEFAULT_TRAIN_SETTINGS;
    expect(() => assertTrainSettings(old as typeof DEFAULT_TRAIN_SETTINGS, limits)).toThrow(/General questions must be a number, not "undefined"/);
  });
});

describe('assertTrainSettings', () => {
  it('passes good settings through and throws factory/bad-settings naming the bad ones', () => {
    expect(assertTrainSettings(DEFAULT_TRAIN_SETTINGS, limits)).toEqual(DEFAULT_TRAIN_SETTINGS);
    try {
      assertTrainSettings({ ...DEFAULT_TRAIN_SETTINGS, learningRate: Number.NaN, batchSize: 0 }, limits);
      expect.unreachable();
    } catch (e) {
      expect(isTributaryError(e) && e.code).toBe('factory/bad-settings');
      expect((e as Error).message).toMatch(/Learning rate must be a number.*Batch size must be at least 1/s);
    }
  });
});
