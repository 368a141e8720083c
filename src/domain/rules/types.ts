import type { CatalogContent } from '../catalog/types.ts';
import type { RuleCode } from './ruleCodes.ts';

export interface ValidationIssue {
  /** Record path: 'face.plateNumber', 'holder.id', 'validTo', 'face.qualificationCategories[1]'. */
  field: string;
  code: RuleCode;
  /**
   * Chinese, naming the field by its label. Quotes only code-like values (codes, region
   * codes, capacities, unknown keys), never names, ID numbers, dates or plates, so issues
   * can be logged and reported.
   */
  message: string;
}

export interface ValidationContext {
  catalog: CatalogContent;
  /** GB/T 2260 code of the platform's province, e.g. '210000'. */
  provinceCode: string;
  /** Beijing civil date bounding "not in the future" checks; defaults to the current day. */
  today?: string;
}

/**
 * The intake contract's record shape (REFERENCE §2), as a well-formed record looks.
 * `validateRecord` takes `unknown`: this type is for code that builds records.
 */
export interface IntakeRecord {
  /** 21-character certificate type code. */
  kind: string;
  regionCode: string;
  certificateNumber: string;
  issuer: { name: string; code: string };
  issueDate: string;
  holder: { idType: string; id: string; name: string; phone?: string };
  validFrom?: string;
  validTo?: string;
  face: Record<string, unknown>;
}
