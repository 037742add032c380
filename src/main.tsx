import { render } from 'solid-js/web';
import { App } from './ui/App.tsx';
import { startApp } from './ui/lib/startup.ts';
import { startPwa } from './ui/pwa.ts';
import './ui/styles.css';

const root = document.getElementById('root');
if (root) {
  root.textContent = '';
  render(() => <App />, root);
  startApp();
  startPwa();
}
