import { NotBuiltYet } from '../components/NotBuiltYet.tsx';

export function ModelFactoryPage() {
  return (
    <NotBuiltYet title="ModelFactory">
      ModelFactory is not built yet. It will fine-tune LoRA adapters in your browser on WebGPU from the accepted
      contributions of a Datanet version, recording exactly which data each adapter was trained on.
    </NotBuiltYet>
  );
}
