/** A conversation saved as a JSON file (core/conversation's export document), named after its title. */
import { conversationExport, conversationFileName, type Conversation } from '../../core/conversation.ts';
import { downloadBytes } from './download.ts';

export function downloadConversation(c: Conversation, now: number = Date.now()): void {
  const json = JSON.stringify(conversationExport(c, now), null, 2);
  downloadBytes(new TextEncoder().encode(json), conversationFileName(c), 'application/json');
}
