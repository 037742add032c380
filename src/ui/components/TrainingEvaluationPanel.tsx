import { For, Show } from 'solid-js';
import type { TrainingEvaluation } from '../../workerApi/trainingApi.ts';
import { plural } from '../lib/format.ts';

interface Props {
  evaluation: TrainingEvaluation;
}

const ppl = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');

/** Held-out perplexity before vs after training, and the same questions answered by the base model and the adapter. */
export function TrainingEvaluationPanel(props: Props) {
  const e = () => props.evaluation;
  const change = () => {
    const b = e().heldOut.before.perplexity;
    const a = e().heldOut.after.perplexity;
    return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? ((a - b) / b) * 100 : null;
  };
  return (
    <div class="mf-evaluation" id="mf-evaluation">
      <p>
        Held-out perplexity ({plural(e().heldOut.examples, 'example')} never trained on): base model <strong id="mf-ppl-before">{ppl(e().heldOut.before.perplexity)}</strong> → with the
        adapter <strong id="mf-ppl-after">{ppl(e().heldOut.after.perplexity)}</strong>
        <Show when={change() !== null}>
          {' '}
          ({change()! <= 0 ? '' : '+'}
          {change()!.toFixed(1)} %)
        </Show>
        .
      </p>
      <div class="mf-samples">
        <h3 class="h4">Base model</h3>
        <h3 class="h4">With the adapter</h3>
        <For each={e().samples}>
          {(s) => (
            <>
              <div>
                <p class="muted">{s.prompt}</p>
                <blockquote class="mf-sample-base">{s.base || '(no text)'}</blockquote>
              </div>
              <div>
                <p class="muted">{s.prompt}</p>
                <blockquote class="mf-sample-adapter">{s.adapter || '(no text)'}</blockquote>
              </div>
            </>
          )}
        </For>
      </div>
      <p class="hint">Answers are greedy (temperature 0), so each pair differs only by the adapter.</p>
    </div>
  );
}
