import type { Datanet } from '../../core/types.ts';

/** "Local" or "Imported" (with the pack source and manifest hash in the tooltip). */
export function DatanetOrigin(props: { datanet: Datanet }) {
  const origin = () => props.datanet.origin;
  return (
    <span
      class={`origin origin-${origin().kind}`}
      title={(() => {
        const o = origin();
        return o.kind === 'pack' ? `Imported from ${o.source}\nManifest ${o.manifestHash}` : 'Created in this browser';
      })()}
    >
      {origin().kind === 'pack' ? 'Imported' : 'Local'}
    </span>
  );
}
