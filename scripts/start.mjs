// `npm start`: build the app (demo packs included) and serve it on 127.0.0.1, printing the URL.
import { spawnSync } from 'node:child_process';
import { serveStatic } from './serve.mjs';

const port = Number(process.env.PORT ?? 4173);
if (!process.argv.includes('--no-build')) {
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const { server, url } = await serveStatic({ root: 'dist', port });
console.log(`\n  Tributary is running at ${url}\n  (Ctrl+C to stop)\n`);
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
