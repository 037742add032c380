/** The attribution record: types, canonical form, EIP-712 hash, JSON files, exact ppm shares. */
export * from './types.ts';
export { ATTRIBUTION_RECORD_TYPES, attributionRecordHash, attributionRecordTypedData, canonicalizeRecord, validateRecord } from './record.ts';
export { RECORD_FILE_FORMAT, recordFromJson, recordToJson } from './recordJson.ts';
export { sharesToPpm } from './ppm.ts';
