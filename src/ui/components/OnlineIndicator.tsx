import { online } from '../lib/online.ts';

/** "Online" / "Offline" pill in the header. */
export function OnlineIndicator() {
  return (
    <span
      class={`pill ${online() ? 'pill-online' : 'pill-offline'}`}
      title={online() ? 'Connected to the network' : 'No network: everything stored locally keeps working'}
      aria-live="polite"
    >
      <span class="dot" aria-hidden="true" />
      {online() ? 'Online' : 'Offline'}
    </span>
  );
}
