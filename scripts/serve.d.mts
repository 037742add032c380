import type { Server } from 'node:http';
export function serveStatic(opts: { root: string; host?: string; port?: number }): Promise<{ server: Server; url: string }>;
