/** Tiny `--name value` / `--flag` parser for the CLI commands (repeated options collect into lists). */
export interface Args {
  positional: string[];
  get(name: string): string | undefined;
  all(name: string): string[];
  has(name: string): boolean;
  need(name: string, what: string): string;
}

export function parseArgs(argv: readonly string[]): Args {
  const opts = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const [name, value] = eq > 0 ? [a.slice(2, eq), a.slice(eq + 1)] : [a.slice(2), argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : 'true'];
      opts.set(name, [...(opts.get(name) ?? []), value]);
    } else positional.push(a);
  }
  return {
    positional,
    get: (n) => opts.get(n)?.at(-1),
    all: (n) => opts.get(n) ?? [],
    has: (n) => opts.has(n),
    need(n, what) {
      const v = opts.get(n)?.at(-1);
      if (v === undefined || v === 'true') throw Object.assign(new Error(`missing --${n} <${what}>`), { code: 'cli/usage' });
      return v;
    },
  };
}
