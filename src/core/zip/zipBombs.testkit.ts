/**
 * Real zip bombs for tests, built in the test (nothing downloaded): archives whose directory lies about
 * an entry's size, and deflate streams that expand ~1000×. Test-only.
 */
import { deflateSync, zipSync, zlibSync } from 'fflate';

/** Rewrites every size field of entry `name` (local header and central directory) to `claimed`. */
export function lieAboutSize(zip: Uint8Array, name: string, claimed: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  const nameBytes = new TextEncoder().encode(name);
  const matches = (at: number) => nameBytes.every((b, i) => out[at + i] === b);
  for (let i = 0; i + 46 < out.length; i++) {
    const sig = view.getUint32(i, true);
    if (sig === 0x04034b50 && view.getUint16(i + 26, true) === nameBytes.length && matches(i + 30)) view.setUint32(i + 22, claimed, true);
    if (sig === 0x02014b50 && view.getUint16(i + 28, true) === nameBytes.length && matches(i + 46)) view.setUint32(i + 24, claimed, true);
  }
  return out;
}

/** A zip whose `name` entry declares `claimed` bytes but inflates to `realBytes` zero bytes. */
export function zipBomb(files: Record<string, Uint8Array>, name: string, realBytes: number, claimed: number): Uint8Array {
  const zip = zipSync({ ...files, [name]: [new Uint8Array(realBytes), { level: 9 }] });
  return lieAboutSize(zip, name, claimed);
}

/** A zlib (PDF FlateDecode) stream of `realBytes` bytes of spaces: ~1000× smaller than what it inflates to. */
export function zlibBomb(realBytes: number): Uint8Array {
  return zlibSync(new Uint8Array(realBytes).fill(0x20), { level: 9 });
}

export { deflateSync };
