import type { CertificateStatus } from '../shared/status.ts';

export interface CertificateSummary {
  identifier: string;
  version: number;
  kind: { code: string; name: string };
  regionCode: string;
  regionName: string;
  certificateNumber: string;
  holderName: string;
  status: CertificateStatus;
  statusCode: string;
  statusName: string;
  issueDate: string;
  validFrom: string | null;
  validTo: string | null;
  signedAt: string;
}

export interface CertificateDetail extends CertificateSummary {
  serial: string;
  statusReason: string | null;
  statusChangedAt: string;
  issuer: { name: string; code: string };
  holder: { idType: string; id: string; name: string };
  face: Record<string, unknown>;
  previousIdentifier: string | null;
  nextIdentifier: string | null;
  signedDataDigest: string;
  seal: { keyId: string; algorithm: string; certificateSerial: string | null };
  versions: {
    identifier: string;
    version: number;
    status: CertificateStatus;
    statusCode: string;
    statusName: string;
    event: string;
    issueDate: string;
    signedAt: string;
  }[];
}

export interface InboxMessage {
  id: string;
  identifier: string;
  kind: string;
  title: string;
  regionCode: string;
  createdAt: string;
  read: boolean;
  readAt: string | null;
}

export interface Profile {
  holderType: 'person' | 'organisation';
  idType: string;
  id: string;
  name: string;
  phone: string | null;
}
