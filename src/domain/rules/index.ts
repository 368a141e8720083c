/** The standard checks (不规范数据校验): validator, rule codes, samples. */
export { CROSS_CHECK_HANDLERS } from './crossChecks.ts';
export { COMMON_CROSS_CHECKS, ENVELOPE_FIELDS, ENVELOPE_LABELS, HOLDER_ID_CHECKS } from './envelope.ts';
export { FIELD_TYPE_CHECKS, splitCodeSequence } from './fieldTypes.ts';
export { type RuleCode, ruleCodes } from './ruleCodes.ts';
export { type RecordOverrides, type SampleOptions, sampleRecord, sampleRecords } from './samples.ts';
export type { IntakeRecord, ValidationContext, ValidationIssue } from './types.ts';
export { validateRecord } from './validate.ts';
