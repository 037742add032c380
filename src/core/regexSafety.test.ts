import { describe, expect, it } from 'vitest';
import { regexSafetyProblem } from './regexSafety.ts';

const limits = { maxLength: 2000, maxRepeats: 16 };

describe('regexSafetyProblem', () => {
  it.each([
    ["'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"], // GPT-2
    ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"], // Llama 3
    ['.*\\.(q_proj|v_proj)'],
    ['model\\.layers\\.(0|1|2)\\.self_attn\\.(q_proj|k_proj)'],
    ['[(+*]+x'],
    ['a{2}b{1,3}'],
  ])('accepts %s', (p) => {
    expect(regexSafetyProblem(p, limits)).toBeNull();
  });

  it.each([
    ['(a+)+$', /repeats a group/],
    ['model\\.layers\\.(0+)+\\.mlp\\.q_proj', /repeats a group/],
    ['(a|a)*b', /repeats a group/],
    ['(.*)*x', /repeats a group/],
    ['(?:x(?:a|b)c){2,}', /repeats a group/],
    ['((ab)*c)+', /repeats a group/],
    ['(a+){2,5}', /repeats a group/],
    ['(a)\\1', /backreference/],
    ['(?<n>a)\\k<n>', /backreference/],
    ['a*'.repeat(17), /unbounded repeats/],
    ['x'.repeat(2001), /characters long/],
    ['(a', /unclosed/],
    ['a)', /unmatched/],
  ])('refuses %s', (p, why) => {
    expect(regexSafetyProblem(p, limits)).toMatch(why);
  });
});
