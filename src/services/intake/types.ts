import type { Signer } from '../../crypto/signer.ts';
import type { IntakeEvent } from '../../domain/lifecycle.ts';
import type { CatalogVersionView } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';

/** Outcome of one intake record (the contract of POST /api/v1/intake/records). */
export type IntakeStatus = 'issued' | 'updated' | 'recorded' | 'nonstandard' | 'duplicate' | 'rejected';

export interface IntakeError {
  field: string;
  code: string;
  message: string;
}

export interface IntakeResult {
  sourceRecordId: string | null;
  sourceVersion: number | null;
  status: IntakeStatus;
  identifier?: string;
  errors?: IntakeError[];
  /** For `duplicate`: the outcome the pair had when first received. */
  originalStatus?: Exclude<IntakeStatus, 'duplicate' | 'rejected'>;
}

/** Who pushes: a registered source-system client, or an operator (import, corrections). */
export interface IntakeSource {
  /** clients.id, or `import:<run>` / `staff:<id>` for records that did not come over HTTP. */
  clientId: string;
  /** Records must lie inside this region's subtree. */
  regionCode: string;
  actor: Actor;
}

/** What issuance needs beyond the ordinary service context. */
export interface IntakeContext extends ServiceContext {
  /** The province's seal signer (电子证照专用章). */
  signer: Signer;
  /** The catalog version records are checked and sealed under. */
  catalog: CatalogVersionView;
}

export interface IntakeEnvelope {
  sourceRecordId: string;
  sourceVersion: number;
  event: IntakeEvent;
  kind: string;
  regionCode: string;
  reason?: string;
}

export const MAX_BATCH = 1000;
