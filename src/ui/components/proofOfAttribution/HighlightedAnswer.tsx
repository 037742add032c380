import { For } from 'solid-js';
import type { EvidenceSpan } from '../../../core/attribution/types.ts';

export interface AnswerSpan extends EvidenceSpan {
  datanetId: string;
  /** What the link says (the contribution's title). */
  source: string;
  /** The passage's own text, shown on hover. */
  passageText?: string;
}

type Piece = { text: string; span?: AnswerSpan };

/** Splits `text` at the spans (overlaps: the earlier span wins; out-of-range spans are ignored). */
export function piecesOf(text: string, spans: ReadonlyArray<AnswerSpan>): Piece[] {
  const sorted = [...spans].filter((s) => s.answerStart >= 0 && s.answerEnd <= text.length && s.answerStart < s.answerEnd).sort((a, b) => a.answerStart - b.answerStart || b.answerEnd - a.answerEnd);
  const out: Piece[] = [];
  let at = 0;
  for (const s of sorted) {
    if (s.answerStart < at) continue;
    if (s.answerStart > at) out.push({ text: text.slice(at, s.answerStart) });
    out.push({ text: text.slice(s.answerStart, s.answerEnd), span: s });
    at = s.answerEnd;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** The answer with its matched spans highlighted, each a link to the source passage on its Datanet's page. */
export function HighlightedAnswer(props: { text: string; spans: AnswerSpan[] }) {
  return (
    <p class="chat-text attribution-answer">
      <For each={piecesOf(props.text, props.spans)}>
        {(p) =>
          p.span ? (
            <a
              class="attribution-span"
              href={`/datanets/${encodeURIComponent(p.span.datanetId)}#passage-${p.span.passage.contributionId}-${p.span.passage.passageIndex}`}
              title={`From “${p.span.source}”, passage ${p.span.passage.passageIndex + 1}${p.span.passageText ? `: ${p.span.passageText.slice(0, 300)}` : ''}`}
              data-contribution={p.span.passage.contributionId}
            >
              <mark>{p.text}</mark>
            </a>
          ) : (
            <>{p.text}</>
          )
        }
      </For>
    </p>
  );
}
