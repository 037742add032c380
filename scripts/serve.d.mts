import type { Server } from 'node:http';
export function serveStatic(opts: { root: string; host?: string; port?: number; crossOriginIsolation?: boolean }): Promise<{ server: Server; url: string }>;

export declare const CROSS_ORIGIN_ISOLATION_HEADERS: Record<string, string>;
export function negotiateEncoding(acceptEncoding: string | string[] | undefined, available: ReadonlyArray<'br' | 'gzip'>): 'br' | 'gzip' | undefined;
export function cacheControlFor(urlPath: string): string;
