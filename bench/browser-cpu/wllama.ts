// The wllama side of `npm run bench -- cpu-peers` (runs in the page; wllama starts its own workers): the same random
// weights as GGUF (f32, q8_0, q4_0; written by bench/gguf.ts and served next to this page), on 1 thread and on all
// threads (`n_threads`; wllama runs threads only when the page is cross-origin isolated). Prefill and decode speeds
// from llama.cpp's own timings (`prompt_per_second`, `predicted_per_second`), greedy, EOS ignored; the first generated
// token's top log-probabilities and the greedy tokens for the comparison with the engine.
import { Wllama } from '@wllama/wllama';
import type { CpuBenchConfig, PeerReport, Speed } from './cpu.worker.ts';

const FORMATS = [
  ['f32', 'f32.gguf'],
  ['q8', 'q8_0.gguf'],
  ['q4', 'q4_0.gguf'],
] as const;

interface LogProbs {
  content?: { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[];
  tokens?: string[];
  top_logprobs?: Record<string, number>[];
}

/** token text → id for the bench vocabulary (bench/gguf.ts): `w<i>` and printable ASCII bytes */
function tokenId(text: string): number {
  if (/^w\d+$/.test(text)) return Number(text.slice(1));
  if (text.length === 1 && text.charCodeAt(0) < 128) return 3 + text.charCodeAt(0);
  return -1;
}

export async function runWllama(log: (m: string) => void): Promise<PeerReport> {
  const cfg = (await (await fetch('/bench-config.json')).json()) as CpuBenchConfig;
  const prompt = cfg.prompt.map((id) => String.fromCharCode(id - 3)).join('');
  const speeds: Record<string, Record<string, Speed>> = {};
  const toplogprobs: Record<string, [number, number][]> = {};
  const greedy: Record<string, number[]> = {};
  let version = '';
  for (const [fmt, file] of FORMATS) {
    const blob = await (await fetch(`/${file}`)).blob();
    speeds[fmt] = {};
    for (const threads of cfg.threads) {
      const w = new Wllama({ default: '/wllama/wllama.wasm' }, { suppressNativeLog: true } as never);
      version = Wllama.getLibllamaVersion?.() ?? version;
      await w.loadModel([blob], { n_threads: threads, n_ctx: 512, n_batch: 512, n_gpu_layers: 0, seed: 1, warmup: false } as never);
      let best: Speed = { prefill_tokens_per_s: 0, decode_tokens_per_s: 0 };
      for (let r = 0; r < cfg.rounds; r++) {
        const res = (await w.createCompletion({ prompt, max_tokens: cfg.decode + 1, temperature: 0, logprobs: 8, ignore_eos: true, cache_prompt: false } as never)) as {
          timings?: { prompt_per_second: number; predicted_per_second: number };
          choices?: { logprobs: unknown }[];
        };
        const t = res.timings;
        if (!t) throw new Error('wllama returned no timings');
        best = { prefill_tokens_per_s: Math.max(best.prefill_tokens_per_s, t.prompt_per_second), decode_tokens_per_s: Math.max(best.decode_tokens_per_s, t.predicted_per_second) };
        log(`wllama ${fmt} ${threads} thread(s) round ${r + 1}: prefill ${t.prompt_per_second.toFixed(1)} tok/s, decode ${t.predicted_per_second.toFixed(1)} tok/s`);
        const greedyLp = res.choices?.[0]?.logprobs as LogProbs | null | undefined;
        if (r === 0 && threads === cfg.threads[0] && greedyLp) {
          // greedy (temperature 0) reports the chosen token only; the distribution comes from an untruncated
          // temperature-1 step (no top-k/top-p/min-p): log-softmax of the logits
          const one = (await w.createCompletion({ prompt, max_tokens: 1, temperature: 1, top_k: 0, top_p: 1, min_p: 0, logprobs: 8, cache_prompt: false } as never)) as typeof res;
          const lp = one.choices?.[0]?.logprobs as LogProbs | null | undefined;
          if (!lp) throw new Error('wllama returned no log-probabilities');
          if (Array.isArray(lp.content)) {
            // OpenAI chat-style: content[i] = { token, logprob, top_logprobs: [{ token, logprob }] }
            toplogprobs[fmt] = (lp.content[0]?.top_logprobs ?? []).map((t) => [tokenId(t.token), t.logprob]);
            greedy[fmt] = (greedyLp.content ?? []).map((c) => tokenId(c.token));
          } else if (Array.isArray(lp.top_logprobs) && Array.isArray(lp.tokens)) {
            toplogprobs[fmt] = Object.entries(lp.top_logprobs[0] ?? {}).map(([k, v]) => [tokenId(k), v]);
            greedy[fmt] = (greedyLp.tokens ?? []).map(tokenId);
          } else log(`wllama logprobs in an unknown shape: ${JSON.stringify(lp).slice(0, 300)}`);
        }
      }
      speeds[fmt][String(threads)] = best;
      await w.exit();
    }
  }
  return { ok: true, version, speeds, toplogprobs, greedy };
}
