// Draws the Tributary mark (two streams joining into one river) and writes public/icons/icon.svg,
// icon-192.png and icon-512.png. Pure JS: a tiny PNG encoder on node:zlib, shapes rasterised with
// analytic anti-aliasing. Run: node scripts/make-icons.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');

// Geometry on a 512 × 512 canvas.
const SIZE = 512;
const CORNER = 112;
const BG_FROM = [0x0f, 0x76, 0x6e]; // top left
const BG_TO = [0x14, 0xb8, 0xa6]; // bottom right
const INK = [0xff, 0xff, 0xff];
const SCALE = 0.86; // keep the mark inside the maskable safe zone
/** Cubic Bézier point at parameter s. */
function bez([a, b, c, d], s) {
  const u = 1 - s;
  const k = [u * u * u, 3 * u * u * s, 3 * u * s * s, s * s * s];
  return [0, 1].map((i) => k[0] * a[i] + k[1] * b[i] + k[2] * c[i] + k[3] * d[i]);
}
/** Unit direction of a cubic Bézier at parameter s. */
function dir([a, b, c, d], s) {
  const u = 1 - s;
  const v = [0, 1].map((i) => 3 * u * u * (b[i] - a[i]) + 6 * u * s * (c[i] - b[i]) + 3 * s * s * (d[i] - c[i]));
  const len = Math.hypot(v[0], v[1]);
  return [v[0] / len, v[1] / len];
}
/** The main river, from its source (top) to the mouth (bottom), widening as it goes. */
const MAIN = { p: [[316, 70], [306, 200], [214, 250], [244, 452]], w: [18, 66] };
/** A tributary from `source` that merges into the main river at parameter `at`, flowing along it. */
function tributary(source, at, pull, w) {
  const join = bez(MAIN.p, at);
  const d = dir(MAIN.p, at);
  const c2 = [join[0] - d[0] * pull, join[1] - d[1] * pull];
  const c1 = [source[0] + (join[0] - source[0]) * 0.1, join[1] - (join[1] - source[1]) * 0.15];
  return { p: [source, c1, c2, join], w };
}
const STREAMS = [MAIN, tributary([100, 120], 0.5, 110, [16, 30]), tributary([428, 206], 0.78, 90, [14, 26])];
/** Sources: dots at the streams' heads. */
const SOURCES = STREAMS.map(({ p, w }) => ({ c: p[0], r: w[0] * 0.95 }));

const t = ([x, y]) => [256 + (x - 256) * SCALE, 256 + (y - 256) * SCALE];

/** Sampled centre line with the half width at each sample (canvas units, transformed). */
function sampled({ p, w }, n = 64) {
  const q = p.map(t);
  const out = [];
  for (let i = 0; i <= n; i++) {
    const s = i / n;
    const [x, y] = bez(q, s);
    out.push({ x, y, r: ((w[0] + (w[1] - w[0]) * s) * SCALE) / 2 });
  }
  return out;
}

function svg() {
  const f = (n) => Number(n.toFixed(1));
  // Each stream as a filled outline (left edge down, right edge back up), its mouth rounded by a circle.
  const shapes = STREAMS.map((stream) => {
    const pts = sampled(stream, 40);
    const left = [];
    const right = [];
    pts.forEach((pt, i) => {
      const a = pts[Math.max(0, i - 1)];
      const b = pts[Math.min(pts.length - 1, i + 1)];
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      const nx = -(b.y - a.y) / len;
      const ny = (b.x - a.x) / len;
      left.push(`${f(pt.x + nx * pt.r)} ${f(pt.y + ny * pt.r)}`);
      right.push(`${f(pt.x - nx * pt.r)} ${f(pt.y - ny * pt.r)}`);
    });
    const end = pts[pts.length - 1];
    return `    <path d="M${left.join('L')}L${right.reverse().join('L')}Z"/>\n    <circle cx="${f(end.x)}" cy="${f(end.y)}" r="${f(end.r)}"/>`;
  }).join('\n');
  const dots = SOURCES.map(({ c, r }) => {
    const [x, y] = t(c);
    return `    <circle cx="${f(x)}" cy="${f(y)}" r="${f(r * SCALE)}"/>`;
  }).join('\n');
  const hex = (rgb) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SIZE} ${SIZE}" width="${SIZE}" height="${SIZE}">
  <title>Tributary</title>
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="${hex(BG_FROM)}"/>
      <stop offset="1" stop-color="${hex(BG_TO)}"/>
    </linearGradient>
  </defs>
  <rect width="${SIZE}" height="${SIZE}" rx="${CORNER}" fill="url(#bg)"/>
  <g fill="#fff">
${shapes}
${dots}
  </g>
</svg>
`;
}

/** Signed distance to a segment whose half width goes linearly from a.r to b.r. */
function segDist(px, py, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const h = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / len2));
  return Math.hypot(px - a.x - dx * h, py - a.y - dy * h) - (a.r + (b.r - a.r) * h);
}

/** Signed distance to the rounded square (negative inside). */
function roundedRectDist(x, y) {
  const half = SIZE / 2;
  const qx = Math.abs(x - half) - (half - CORNER);
  const qy = Math.abs(y - half) - (half - CORNER);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - CORNER;
}

const clamp01 = (v) => Math.max(0, Math.min(1, v));

function render(px) {
  const k = SIZE / px; // canvas units per pixel
  const strokes = STREAMS.map((stream) => {
    const pts = sampled(stream, 96);
    const m = Math.max(...pts.map((q) => q.r)) + k;
    const xs = pts.map((q) => q.x);
    const ys = pts.map((q) => q.y);
    return { pts, box: [Math.min(...xs) - m, Math.min(...ys) - m, Math.max(...xs) + m, Math.max(...ys) + m] };
  });
  const dots = SOURCES.map(({ c, r }) => ({ c: t(c), r: r * SCALE }));
  const rgba = new Uint8Array(px * px * 4);
  for (let j = 0; j < px; j++) {
    for (let i = 0; i < px; i++) {
      const x = (i + 0.5) * k;
      const y = (j + 0.5) * k;
      // Coverage in pixels: distance (canvas units) / k, with a one-pixel ramp.
      const bgCover = clamp01(0.5 - roundedRectDist(x, y) / k);
      let ink = 0;
      for (const s of strokes) {
        if (x < s.box[0] || y < s.box[1] || x > s.box[2] || y > s.box[3]) continue;
        let d = Infinity;
        for (let n = 1; n < s.pts.length; n++) d = Math.min(d, segDist(x, y, s.pts[n - 1], s.pts[n]));
        ink = Math.max(ink, clamp01(0.5 - d / k));
      }
      for (const dot of dots) ink = Math.max(ink, clamp01(0.5 - (Math.hypot(x - dot.c[0], y - dot.c[1]) - dot.r) / k));
      const g = clamp01((x + y) / (2 * SIZE));
      const o = (j * px + i) * 4;
      for (let ch = 0; ch < 3; ch++) {
        const bg = BG_FROM[ch] + (BG_TO[ch] - BG_FROM[ch]) * g;
        rgba[o + ch] = Math.round(bg + (INK[ch] - bg) * ink);
      }
      rgba[o + 3] = Math.round(255 * bgCover);
    }
  }
  return rgba;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** RGBA8 pixels -> PNG file bytes. */
function encodePng(width, height, rgba) {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'icon.svg'), svg());
for (const px of [192, 512]) {
  writeFileSync(join(OUT, `icon-${px}.png`), encodePng(px, px, render(px)));
}
console.log(`wrote ${OUT}/icon.svg, icon-192.png, icon-512.png`);
