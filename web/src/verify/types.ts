import type { CertificateStatus } from '../shared/status.ts';
import type { OfflineResult } from './offline/offline.ts';

export interface Officer {
  username: string;
  displayName: string;
  roleName: string;
  regionName: string;
}

export interface VerifyResponse {
  verificationId: string;
  result: 'valid' | 'invalid';
  reason?: string;
  message: string;
  checkedAt: string;
  certificate: {
    identifier: string;
    version: number;
    kind: { code: string; name: string };
    regionCode: string;
    status: CertificateStatus;
    statusCode: string;
    statusName: string;
    certificateNumber: string;
    holderName: string;
    face: Record<string, unknown>;
    issueDate: string;
    validFrom: string | null;
    validTo: string | null;
    nextIdentifier: string | null;
  } | null;
}

export type Verdict =
  | { mode: 'online'; response: VerifyResponse }
  | { mode: 'offline'; offline: OfflineResult; queueId: string };
