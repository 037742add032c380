/**
 * Turns a conversation into prompt token ids: the model's chat template (tokenizer_config.json) with the assistant's
 * turn opened (plus the BOS token when the config asks for one and the template left it out), or — for a model
 * without a template — a plain "User: … / Assistant:" transcript. When the prompt and
 * the answer would not fit the context, the answer is shortened (down to `minAnswer` tokens), then the oldest
 * messages (after a leading system message) are left out, keeping at least the last one; if even that does not fit,
 * `engine/context-full`.
 */
import { TributaryError } from '../../core/errors.ts';
import { applyChatTemplate, configSpecialTokens, type ChatMessage, type TokenizerConfig } from '../../engine/chat/chatTemplate.ts';
import type { Tokenizer } from '../../engine/tokenizer/tokenizer.ts';

export interface BuiltPrompt {
  ids: number[];
  /** messages left out */
  dropped: number;
  /** tokens the answer may have */
  answerTokens: number;
}

function plainTranscript(messages: readonly ChatMessage[]): string {
  const name = (r: string): string => (r === 'assistant' ? 'Assistant' : r === 'system' ? 'System' : 'User');
  return messages.map((m) => `${name(m.role)}: ${m.content}\n`).join('') + 'Assistant:';
}

export function hasChatTemplate(tc: TokenizerConfig | null): boolean {
  const t = tc?.chat_template;
  return (typeof t === 'string' && t.length > 0) || (Array.isArray(t) && t.length > 0);
}

export function buildPrompt(
  tok: Tokenizer,
  tc: TokenizerConfig | null,
  messages: readonly ChatMessage[],
  answerTokens: number,
  context: number,
  minAnswer = Math.min(answerTokens, 32),
): BuiltPrompt {
  if (messages.length === 0) throw new TributaryError('engine/bad-config', 'The conversation is empty; write a message first.');
  const useTemplate = hasChatTemplate(tc);
  // Templates are meant to write every special token themselves, but some (TinyLlama's Zephyr-style one) leave out
  // the <s> their model was trained with; HF's text-generation pipeline adds it back when the tokenizer config says
  // add_bos_token, and so do we (never twice).
  const bosText = tc?.add_bos_token === true ? configSpecialTokens(tc).bos : null;
  const bosId = bosText !== null ? tok.tokenToId(bosText) : undefined;
  const render = (ms: readonly ChatMessage[]): number[] => {
    const text = useTemplate ? applyChatTemplate(tc!, ms, { addGenerationPrompt: true }) : plainTranscript(ms);
    const ids = tok.encode(text, { addSpecialTokens: !useTemplate });
    if (useTemplate && bosId !== undefined && ids[0] !== bosId) ids.unshift(bosId);
    return ids;
  };
  const lead = messages[0]!.role === 'system' ? 1 : 0;
  let dropped = 0;
  for (;;) {
    const ms = [...messages.slice(0, lead), ...messages.slice(lead + dropped)];
    const ids = render(ms);
    if (ids.length + answerTokens <= context) return { ids, dropped, answerTokens };
    if (ids.length + minAnswer <= context) return { ids, dropped, answerTokens: context - ids.length };
    if (lead + dropped >= messages.length - 1) {
      throw new TributaryError(
        'engine/context-full',
        `The last message and its answer (${ids.length} + ${minAnswer} tokens) do not fit the model's context of ${context} tokens; shorten the message or ask for fewer tokens.`,
      );
    }
    dropped++;
  }
}
