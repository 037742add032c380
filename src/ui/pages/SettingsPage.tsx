import { cpuThreadingStatus } from '../../core/cpuThreading.ts';
import { AppInfoPanel } from '../components/AppInfoPanel.tsx';
import { AttributionEncoderPanel } from '../components/proofOfAttribution/AttributionEncoderPanel.tsx';
import { IdentitiesPanel } from '../components/IdentitiesPanel.tsx';
import { StoragePanel } from '../components/StoragePanel.tsx';
import { WalletSettingsPanel } from '../components/WalletSettingsPanel.tsx';
import { WebGpuPanel } from '../components/WebGpuPanel.tsx';

export function SettingsPage() {
  return (
    <section class="page">
      <header class="page-header">
        <div>
          <h1>Settings</h1>
          <p class="lead">Your identities, the chain and wallet you settle with, what this browser can do, and what is stored.</p>
        </div>
      </header>
      <div class="settings-grid">
        <section class="card" aria-labelledby="identities-title">
          <h2 id="identities-title">Identities</h2>
          <IdentitiesPanel />
        </section>
        <section class="card" aria-labelledby="wallet-title">
          <h2 id="wallet-title">Wallet and chain</h2>
          <WalletSettingsPanel />
        </section>
        <section class="card" aria-labelledby="webgpu-title">
          <h2 id="webgpu-title">WebGPU</h2>
          <WebGpuPanel />
          <p class="hint cpu-threads" id="cpu-threads" data-threads={cpuThreadingStatus().threads}>
            {cpuThreadingStatus().text}
          </p>
        </section>
        <section class="card" aria-labelledby="attribution-encoder-title">
          <h2 id="attribution-encoder-title">Attribution encoder</h2>
          <AttributionEncoderPanel />
        </section>
        <section class="card" aria-labelledby="storage-title">
          <h2 id="storage-title">Storage</h2>
          <StoragePanel />
        </section>
        <section class="card" aria-labelledby="app-title">
          <h2 id="app-title">App</h2>
          <AppInfoPanel />
        </section>
      </div>
    </section>
  );
}
