import { NotBuiltYet } from '../components/NotBuiltYet.tsx';

export function ChatPage() {
  return (
    <NotBuiltYet title="Chat">
      Chat is not built yet. It will let you ask a small language model questions right here in your browser,
      using the base model plus LoRA adapters trained on Datanets, and every answer will come with a receipt
      that traces it back to the contributions that shaped it.
    </NotBuiltYet>
  );
}
