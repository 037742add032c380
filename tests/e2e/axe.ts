import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** axe-core's own bundle, from node_modules (installed as a devDependency; nothing is downloaded). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  /** CSS selectors of the offending nodes, with axe's summary of what is wrong (first few). */
  nodes: string[];
}

/**
 * Runs axe-core (WCAG 2.x A/AA rules and best practices) on what the page shows now and returns the violations
 * of impact `serious` or `critical`. The script is injected into the page when missing (a navigation within the
 * single-page app keeps it; a reload does not).
 */
export async function seriousAxeViolations(page: Page): Promise<AxeFinding[]> {
  return (await axeViolations(page)).filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

/** Every axe-core violation on what the page shows now, whatever its impact. */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!loaded) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async () => {
    interface AxeNode {
      target: unknown[];
      failureSummary?: string;
    }
    interface AxeViolation {
      id: string;
      impact?: string | null;
      help: string;
      nodes: AxeNode[];
    }
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`),
      }));
  });
}

/** A readable list of findings for an assertion message. */
export function describeFindings(where: string, findings: AxeFinding[]): string {
  return findings.map((f) => `${where}: [${f.impact}] ${f.id} (${f.help})\n    ${f.nodes.join('\n    ')}`).join('\n');
}
