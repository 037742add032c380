/** What Settings calls each IndexedDB table in its record counts. */
const TABLE_LABELS: Record<string, string> = {
  datanets: 'Datanets',
  contributions: 'Contributions',
  chunks: 'Passages',
  validations: 'Votes',
  reputations: 'Reputations',
  versions: 'Versions',
  identities: 'Identities',
  uploads: 'Upload records',
  packs: 'Imported packs',
  settings: 'Settings',
  models: 'Models',
  adapters: 'Adapters',
  trainingRuns: 'Training runs',
  inferences: 'Inferences',
  attributionRecords: 'Attribution records',
  ledgerEntries: 'Ledger entries',
  settlements: 'Settlements',
  claims: 'Claims',
};

/**
 * The label of table `name`, and the table's own name when it says something more (`Passages` for `chunks`);
 * a table without a label of its own (one added later) gets its name in words (`chatMessages` -> `Chat messages`),
 * never the bare name twice.
 */
export function tableLabel(name: string): { label: string; tableName?: string } {
  const label = TABLE_LABELS[name] ?? words(name);
  const squash = (t: string) => t.toLowerCase().replace(/[\s_-]+/g, '');
  const sameWords = squash(label) === squash(name);
  return sameWords ? { label } : { label, tableName: name };
}

function words(name: string): string {
  const spaced = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return spaced ? spaced[0]!.toUpperCase() + spaced.slice(1) : name;
}
