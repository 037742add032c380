import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { TributaryError } from '../../core/errors.ts';

/** One chat message; templates may read extra fields (`tool_calls`, `reasoning_content`, ...). */
export interface ChatMessage {
  role: string;
  content: string;
  [field: string]: unknown;
}

/** A special token as `tokenizer_config.json` writes it: a string or an AddedToken object. */
export type ConfigToken = string | { content: string; [k: string]: unknown } | null;

/** The parts of an HF `tokenizer_config.json` that chat templating reads. */
export interface TokenizerConfig {
  chat_template?: string | Array<{ name: string; template: string }> | null;
  bos_token?: ConfigToken;
  eos_token?: ConfigToken;
  pad_token?: ConfigToken;
  unk_token?: ConfigToken;
  added_tokens_decoder?: Record<string, { content: string; special?: boolean; [k: string]: unknown }>;
  additional_special_tokens?: ConfigToken[];
  [k: string]: unknown;
}

export interface ChatTemplateOptions {
  /** end with the opening of an assistant turn (default false) */
  addGenerationPrompt?: boolean;
  /** tool (function) definitions, JSON-schema style, passed to the template as `tools` */
  tools?: unknown[];
  /** documents for RAG templates, passed as `documents` */
  documents?: unknown[];
  /** which template of a named list to use (default: "tool_use" when tools are given and it exists, else "default") */
  templateName?: string;
  /** the clock `strftime_now` reads (Llama 3.1+ templates print today's date); default now */
  now?: Date;
  /** more variables for the template (e.g. `enable_thinking` for Qwen3) */
  extra?: Record<string, unknown>;
}

/** Special tokens named by a tokenizer_config.json, with their ids where `added_tokens_decoder` gives them. */
export interface ConfigSpecialTokens {
  bos: string | null;
  eos: string | null;
  pad: string | null;
  unk: string | null;
  /** every added token marked special: content -> id */
  special: Map<string, number>;
  /** id of a token content, from `added_tokens_decoder` */
  idOf(content: string | null): number | undefined;
}

function tokenText(t: ConfigToken | undefined): string | null {
  if (t === null || t === undefined) return null;
  if (typeof t === 'string') return t;
  if (typeof t === 'object' && typeof t.content === 'string') return t.content;
  return null;
}

/** Reads bos/eos/pad/unk and the special added tokens of a tokenizer_config.json. */
export function configSpecialTokens(config: TokenizerConfig): ConfigSpecialTokens {
  const ids = new Map<string, number>();
  const special = new Map<string, number>();
  for (const [id, t] of Object.entries(config.added_tokens_decoder ?? {})) {
    const n = Number(id);
    if (!Number.isInteger(n) || !t || typeof t.content !== 'string') continue;
    ids.set(t.content, n);
    if (t.special) special.set(t.content, n);
  }
  return {
    bos: tokenText(config.bos_token),
    eos: tokenText(config.eos_token),
    pad: tokenText(config.pad_token),
    unk: tokenText(config.unk_token),
    special,
    idOf: (c) => (c === null ? undefined : ids.get(c)),
  };
}

/** The template text `applyChatTemplate` would use. */
export function selectChatTemplate(config: TokenizerConfig, opts: Pick<ChatTemplateOptions, 'templateName' | 'tools'> = {}): string {
  const t = config.chat_template;
  if (typeof t === 'string' && t.length > 0) return t;
  if (Array.isArray(t)) {
    const byName = new Map<string, string>();
    for (const e of t) if (e && typeof e.name === 'string' && typeof e.template === 'string') byName.set(e.name, e.template);
    const name = opts.templateName ?? (opts.tools && byName.has('tool_use') ? 'tool_use' : 'default');
    const found = byName.get(name);
    if (found) return found;
    throw new TributaryError(
      'chat/no-template',
      `the tokenizer config has no chat template named "${name}" (it has: ${Array.from(byName.keys()).join(', ') || 'none'}).`,
      'tokenizer_config.json',
    );
  }
  throw new TributaryError(
    'chat/no-template',
    'the tokenizer config has no chat_template, so this model does not say how to format a conversation. Use an instruct/chat model, or add its chat_template.',
    'tokenizer_config.json',
  );
}

/** Raised inside a template by `raise_exception(msg)`. */
class TemplateRaised extends Error {}

const compiled = new Map<string, Template>();

function compile(source: string): Template {
  let t = compiled.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (e) {
      throw new TributaryError('chat/template', `the chat template does not parse (${(e as Error).message}).`, 'tokenizer_config.json');
    }
    if (compiled.size > 32) compiled.clear();
    compiled.set(source, t);
  }
  return t;
}

function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) throw new Error('range() step must not be zero');
  const out: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Python's `strftime` for the directives chat templates use (%Y %m %d %b %B %H %M %S %A %a %y %j %%). */
export function strftime(date: Date, format: string): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  return format.replace(/%[YmdbBHMSAay%jep]/g, (d) => {
    switch (d) {
      case '%Y':
        return String(date.getFullYear());
      case '%y':
        return pad(date.getFullYear() % 100);
      case '%m':
        return pad(date.getMonth() + 1);
      case '%d':
        return pad(date.getDate());
      case '%e':
        return String(date.getDate()).padStart(2, ' ');
      case '%b':
        return MONTHS[date.getMonth()]!.slice(0, 3);
      case '%B':
        return MONTHS[date.getMonth()]!;
      case '%H':
        return pad(date.getHours());
      case '%M':
        return pad(date.getMinutes());
      case '%S':
        return pad(date.getSeconds());
      case '%A':
        return days[date.getDay()]!;
      case '%a':
        return days[date.getDay()]!.slice(0, 3);
      case '%p':
        return date.getHours() < 12 ? 'AM' : 'PM';
      case '%j': {
        const start = new Date(date.getFullYear(), 0, 1);
        return pad(Math.floor((date.getTime() - start.getTime()) / 86_400_000) + 1, 3);
      }
      default:
        return '%';
    }
  });
}

/**
 * Renders a conversation with the model's chat template (Jinja, via @huggingface/jinja), as HF
 * `tokenizer.apply_chat_template(messages, tokenize=False, ...)` does. The template sees `messages`,
 * `add_generation_prompt`, `tools`, `documents`, `bos_token`, `eos_token`, `pad_token`, `unk_token`,
 * every other string field of the config, `raise_exception` and `strftime_now`.
 */
export function applyChatTemplate(config: TokenizerConfig, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  if (!Array.isArray(messages)) throw new TributaryError('chat/template', 'messages must be a list of {role, content}.');
  for (const [i, m] of messages.entries()) {
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string' || typeof m.content !== 'string') {
      throw new TributaryError('chat/template', `message ${i} needs a string "role" and a string "content".`);
    }
  }
  const source = selectChatTemplate(config, opts);
  const template = compile(source);
  const specials = configSpecialTokens(config);

  const env = new Environment();
  const vars: Record<string, unknown> = {};
  // string-valued config fields are visible to templates, as in transformers (special tokens, etc.)
  for (const [k, v] of Object.entries(config)) if (typeof v === 'string' && k !== 'chat_template') vars[k] = v;
  Object.assign(vars, {
    true: true,
    false: false,
    none: null,
    True: true,
    False: false,
    None: null,
    raise_exception: (msg: unknown) => {
      throw new TemplateRaised(String(msg));
    },
    range,
    strftime_now: (fmt: unknown) => strftime(opts.now ?? new Date(), String(fmt)),
    messages: messages.map((m) => ({ ...m })),
    add_generation_prompt: opts.addGenerationPrompt ?? false,
    tools: opts.tools ?? null,
    documents: opts.documents ?? null,
    bos_token: specials.bos ?? '',
    eos_token: specials.eos ?? '',
    pad_token: specials.pad ?? '',
    unk_token: specials.unk ?? '',
    ...opts.extra,
  });
  for (const [k, v] of Object.entries(vars)) env.set(k, v);
  try {
    return new Interpreter(env).run(template.parsed).value as string;
  } catch (e) {
    if (e instanceof TemplateRaised) {
      throw new TributaryError('chat/template', `the model's chat template refused this conversation: ${e.message}`);
    }
    throw new TributaryError('chat/template', `the chat template failed while rendering (${(e as Error).message}).`, 'tokenizer_config.json');
  }
}
