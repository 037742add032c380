export declare const COMPRESSIBLE_EXTENSIONS: Set<string>;
export declare const MIN_BYTES: number;
export declare const MAX_RATIO: number;
export function isCompressible(path: string): boolean;
export function compressBody(body: Buffer, path: string): Promise<{ br: Buffer; gzip: Buffer }>;
export function precompressDir(root: string): Promise<{ file: string; raw: number; br?: number; gzip?: number }[]>;
