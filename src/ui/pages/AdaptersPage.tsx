import { NotBuiltYet } from '../components/NotBuiltYet.tsx';

export function AdaptersPage() {
  return (
    <NotBuiltYet title="Adapters">
      Adapters is not built yet. It will list the LoRA adapters you trained or imported and serve many of them
      over one shared base model on WebGPU (OpenLoRA), switching adapters per question.
    </NotBuiltYet>
  );
}
