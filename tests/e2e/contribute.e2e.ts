import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePdf } from '../../src/ingest/sampleFiles.testkit.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { createDatanet, eventually, navigate, openApp, previewContribution, submitPreviewed, tableCounts } from './app.ts';

const appUrl = inject('appUrl');

const DATANET = {
  name: 'Tide Pool Field Notes',
  summary: 'Observations of rocky-shore tide pools, written by the people who visit them.',
  description: [
    '# Tide pools',
    '',
    'Notes on **anemones**, crabs and limpets. See [the guide](https://example.org/guide).',
    '',
    '<script>window.__xss = 1</script>',
    '<img src=x onerror="window.__xss = 2">',
    '[click me](javascript:window.__xss=3)',
  ].join('\n'),
  tags: 'ocean, Field-Notes',
};

const MARKDOWN = [
  '# Low tide at the north reef',
  '',
  'At a minus tide of 0.3 metres the north reef opens a maze of pools. The largest pool holds a colony of',
  'giant green anemones, each as wide as a dinner plate, their tentacles folding inward when a shadow passes.',
  '',
  'Hermit crabs trade shells in the shallow channel between the pools. We counted fourteen of them in ten',
  'minutes, most carrying turban snail shells. Two carried shells far too large and moved in short hops.',
  '',
  'Ochre sea stars cling to the seaward side of the boulders. Their numbers have recovered since the wasting',
  'disease years: this season we found thirty-one on a single boulder field, purple and orange in equal parts.',
].join('\n');

const PDF_PAGES = [
  ['Limpet survey, spring season.', 'Owl limpets defend a grazing patch on bare rock about the size of a palm.'],
  ['Each owl limpet returns to a home scar at low tide.', 'We marked twelve scars with chalk and found every limpet home by evening.'],
];

describe('contributing from the page', () => {
  let profile: BrowserProfile;
  let datanetPath = '';

  beforeAll(async () => {
    profile = await openProfile();
    await openApp(profile.page, appUrl);
    datanetPath = await createDatanet(profile.page, DATANET);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(profile, ctx.task.name);
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('creates a Datanet whose description is rendered without any script surviving', async () => {
    const { page } = profile;
    expect(datanetPath).toMatch(/^\/datanets\/dn-[0-9a-f]{16}$/);
    const about = page.locator('section[aria-labelledby="about-title"]');
    await expect.poll(() => about.locator('strong').textContent()).toBe('anemones');
    expect(await about.locator('a[href="https://example.org/guide"]').count()).toBe(1);
    // The hostile HTML shows as text; no element of it exists, no handler, no javascript: link.
    await about.getByText(/<script>window.__xss = 1<\/script>/).waitFor();
    expect(await about.locator('script, img, iframe, svg, [onerror], [onload], [onclick]').count()).toBe(0);
    for (const href of await about.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))) {
      expect(href).not.toMatch(/^\s*javascript:/i);
    }
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    // Tags are normalised (lower-cased) and the reward policy is shown.
    await page.getByRole('list', { name: 'Tags' }).getByText('field-notes').waitFor();
  });

  it('previews a Markdown file and a PDF as passages, then submits them signed', async () => {
    const { page } = profile;
    const pdf = Buffer.from(await makePdf(PDF_PAGES));
    await previewContribution(page, DATANET.name, {
      files: [
        { name: 'north-reef.md', mimeType: 'text/markdown', buffer: Buffer.from(MARKDOWN) },
        { name: 'limpets.pdf', mimeType: 'application/pdf', buffer: pdf },
      ],
    });
    const md = page.getByRole('article', { name: 'Preview of north-reef.md' });
    const pdfPreview = page.getByRole('article', { name: 'Preview of limpets.pdf' });
    await md.getByText(/giant green anemones/).first().waitFor();
    expect(await md.textContent()).toMatch(/1 passage/);
    // Text extracted from both PDF pages, in the worker, shows in the passage preview.
    await pdfPreview.getByText(/Owl limpets defend a grazing patch/).first().waitFor();
    await pdfPreview.getByText(/Each owl limpet returns to a home scar/).first().waitFor();

    await submitPreviewed(page);
    await page.goto(new URL(datanetPath.slice(1), appUrl).href);
    const contributions = page.locator('section[aria-labelledby="contributions-title"]');
    await contributions.getByText('north-reef.md').waitFor();
    await contributions.getByText('limpets.pdf').waitFor();
    expect(await contributions.getByText('pending', { exact: false }).count()).toBeGreaterThanOrEqual(2);
  });

  it('refuses a duplicate upload with a pointer to the existing contribution, writing nothing', async () => {
    const { page } = profile;
    const before = await tableCounts(page);
    // The same text with different capitalisation and spacing is still the same text.
    const again = MARKDOWN.toUpperCase().replace(/ /g, '  ');
    await previewContribution(page, DATANET.name, {
      files: [{ name: 'north-reef-copy.md', mimeType: 'text/markdown', buffer: Buffer.from(again) }],
    });
    const card = page.getByRole('article', { name: 'Preview of north-reef-copy.md' });
    await card.getByText(/duplicate/i).first().waitFor();
    expect(await card.textContent()).toContain('north-reef.md');
    expect(await page.getByRole('button', { name: /^Submit \d+ contribution/ }).isDisabled()).toBe(true);
    expect(await tableCounts(page)).toEqual(before);
  });

  it('refuses a near duplicate (a lightly edited copy)', async () => {
    const { page } = profile;
    const edited = MARKDOWN.replace('fourteen', 'fifteen').replace('thirty-one', 'thirty-two');
    await previewContribution(page, DATANET.name, {
      files: [{ name: 'north-reef-edited.md', mimeType: 'text/markdown', buffer: Buffer.from(edited) }],
    });
    const card = page.getByRole('article', { name: 'Preview of north-reef-edited.md' });
    await card.getByText(/near.duplicate|similar/i).first().waitFor();
    expect(await card.textContent()).toContain('north-reef.md');
  });

  it('refuses an oversize file, naming it and the limit, and writes nothing', async () => {
    const { page } = profile;
    const before = await tableCounts(page);
    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 'a');
    await previewContribution(page, DATANET.name, {
      files: [{ name: 'huge-notes.txt', mimeType: 'text/plain', buffer: big }],
    });
    const card = page.getByRole('article', { name: 'Preview of huge-notes.txt' });
    const text = await eventually(async () => {
      const t = (await card.textContent()) ?? '';
      expect(t).toMatch(/5 MB/);
      return t;
    });
    expect(text).toMatch(/limit is 5 MB per file/i);
    expect(await tableCounts(page)).toEqual(before);
  });

  it('explains each bad file: binary with a text name, bad UTF-8, empty, unsupported, broken PDF', async () => {
    const { page } = profile;
    const before = await tableCounts(page);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
    await previewContribution(page, DATANET.name, {
      files: [
        { name: 'photo.txt', mimeType: 'text/plain', buffer: png },
        { name: 'latin1.txt', mimeType: 'text/plain', buffer: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b]) },
        { name: 'empty.md', mimeType: 'text/markdown', buffer: Buffer.from('   \n') },
        { name: 'slides.pptx', mimeType: 'application/octet-stream', buffer: Buffer.from('PK\u0003\u0004') },
        { name: 'broken.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\n1 0 obj garbage') },
      ],
    });
    const expectations: [string, RegExp][] = [
      ['photo.txt', /binary|PNG/i],
      ['latin1.txt', /UTF-8/i],
      ['empty.md', /empty/i],
      ['slides.pptx', /unsupported|\.pptx/i],
      ['broken.pdf', /PDF/i],
    ];
    for (const [name, reason] of expectations) {
      const card = page.getByRole('article', { name: `Preview of ${name}` });
      await eventually(async () => expect((await card.textContent()) ?? '').toMatch(reason));
    }
    expect(await tableCounts(page)).toEqual(before);
  });

  it('accepts a dropped file (drag and drop) and pasted text', async () => {
    const { page } = profile;
    await navigate(page, 'Contribute');
    await page.getByLabel('Datanet', { exact: true }).selectOption({ label: DATANET.name });
    const text = 'Sculpins hide in the pools at the high tide line. Their colour matches the coralline algae so well that we only saw them when they moved, darting between patches of pink crust.';
    const dataTransfer = await page.evaluateHandle((t) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], 'sculpins.txt', { type: 'text/plain' }));
      return dt;
    }, text);
    const zone = page.locator('.dropzone');
    await zone.dispatchEvent('dragenter', { dataTransfer });
    await zone.dispatchEvent('dragover', { dataTransfer });
    await zone.dispatchEvent('drop', { dataTransfer });
    await page.getByRole('list', { name: 'Chosen files' }).getByText('sculpins.txt').waitFor();
    await page.getByLabel('Title', { exact: true }).fill('Nudibranch count');
    await page.getByLabel('Text', { exact: true }).fill('We found six opalescent nudibranchs on the kelp holdfasts at the south point, more than in any earlier visit this year.');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.getByRole('article', { name: 'Preview of sculpins.txt' }).getByText(/coralline algae/).first().waitFor();
    await page.getByRole('article', { name: 'Preview of Nudibranch count' }).getByText(/opalescent nudibranchs/).first().waitFor();
    await submitPreviewed(page);
    expect(profile.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
