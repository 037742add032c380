export {
  applyChatTemplate,
  configSpecialTokens,
  selectChatTemplate,
  strftime,
  type ChatMessage,
  type ChatTemplateOptions,
  type ConfigSpecialTokens,
  type ConfigToken,
  type TokenizerConfig,
} from './chatTemplate.ts';
