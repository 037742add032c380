import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindingTypes } from './runtime.ts';

describe('bindingTypes', () => {
  it('reads uniform, read-only and read-write storage bindings', () => {
    const code = `
      @group(0) @binding(0) var<uniform> P: Params;
      @group(0) @binding(1) var<storage, read> x: array<f32>;
      @group(0)  @binding(2)  var<storage,read_write> y: array<f32>;
      @group(0) @binding(7) var<storage> z: array<f32>;
      @group(1) @binding(3) var<storage, read_write> other: array<f32>;`;
    expect([...bindingTypes(code)]).toEqual([
      [0, 'uniform'],
      [1, 'read-only-storage'],
      [2, 'storage'],
      [7, 'read-only-storage'],
    ]);
  });

  it('finds every binding every shader file declares (explicit pipeline layouts are built from them)', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.wgsl')) files.push(join(dir, e.name));
      }
    };
    walk('shaders');
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const f of files) {
      const code = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '');
      const declared = new Set([...code.matchAll(/@binding\((\d+)\)/g)].map((m) => Number(m[1])));
      expect(new Set(bindingTypes(code).keys()), f).toEqual(declared);
    }
  });
});
