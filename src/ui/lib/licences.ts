/** Licences offered when creating a Datanet (SPDX ids); anything else can be typed as a custom licence. */
export const COMMON_LICENCES: readonly { id: string; label: string }[] = [
  { id: 'CC-BY-4.0', label: 'CC BY 4.0 — attribution' },
  { id: 'CC-BY-SA-4.0', label: 'CC BY-SA 4.0 — attribution, share-alike' },
  { id: 'CC0-1.0', label: 'CC0 1.0 — public domain dedication' },
  { id: 'CC-BY-NC-4.0', label: 'CC BY-NC 4.0 — attribution, non-commercial' },
  { id: 'ODC-By-1.0', label: 'ODC-By 1.0 — open data, attribution' },
  { id: 'ODbL-1.0', label: 'ODbL 1.0 — open database, share-alike' },
  { id: 'MIT', label: 'MIT' },
  { id: 'Apache-2.0', label: 'Apache 2.0' },
];

export const CUSTOM_LICENCE = 'custom';
