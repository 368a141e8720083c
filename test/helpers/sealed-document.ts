import { readFileSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { type Signer, SoftwareSigner } from '../../src/crypto/signer.ts';
import {
  type CertificateSubject,
  createRootCertificate,
  createSealCertificate,
  type ParsedCertificate,
  parseCertificate,
} from '../../src/crypto/x509.ts';
import { signOfd } from '../../src/documents/ofd/sign-ofd.ts';
import { type BuildOfdOptions, buildOfd } from '../../src/documents/ofd/write-ofd.ts';
import { buildSignedPdf } from '../../src/documents/pdf/write-pdf.ts';
import { sealPng } from '../../src/documents/seal/seal-image.ts';
import { createSeal } from '../../src/documents/seal/ses.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import type { CertificateAssertion } from '../../src/services/issuance/seal-certificate.ts';
import type { Keyring } from '../../src/services/keys/keyring.ts';
import { certificates, keyMaterial } from '../../src/store/schema.ts';

/**
 * Test fixtures: sealed OFD certificate documents made the way the renderer makes them (buildOfd +
 * signOfd, the metadata names of docs/documents.md, the signed data as an attachment), for real
 * certificates issued in the test database. A small Latin font keeps the packages small.
 */

export const ATTACHMENT_PATH = 'Doc_0/Attachs/certificate.json';
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

export interface SealingKeys {
  seal: Buffer;
  signer: Signer;
  signerCertificate: ParsedCertificate;
}

/** The province's own seal: made by the root key from the store, used by the keyring's seal key. */
export async function provinceSealingKeys(ctx: ServiceContext, keyring: Keyring): Promise<SealingKeys> {
  const trust = keyring.requireTrust();
  const [root] = await ctx.db
    .select()
    .from(keyMaterial)
    .where(and(eq(keyMaterial.purpose, 'root'), eq(keyMaterial.status, 'active')));
  if (!root) throw new Error('no province root key');
  const maker = SoftwareSigner.fromWrapped(root.wrappedPrivateKey, ctx.config.kek, root.keyId);
  const sealCert = parseCertificate(trust.sealCertificate);
  const seal = await createSeal({
    makerSigner: maker,
    makerCertificate: trust.rootCertificate,
    sealCertificate: sealCert,
    name: trust.sealName,
    picturePng: sealPng({ text: trust.sealName, sizePx: 120 }),
    validity: { start: sealCert.notBefore, end: sealCert.notAfter },
    createdAt: sealCert.notBefore,
  });
  return { seal, signer: keyring.sealSigner(), signerCertificate: sealCert };
}

/** A look-alike province with its own root: a forger's seal with the same name. */
export async function foreignSealingKeys(sealName: string): Promise<SealingKeys> {
  const subject = (commonName: string): CertificateSubject => ({
    country: 'CN',
    province: '辽宁省',
    organization: '辽宁省交通运输厅',
    commonName,
  });
  const maker = SoftwareSigner.generate('foreign-root').signer;
  const signer = SoftwareSigner.generate('foreign-seal').signer;
  const notBefore = new Date('2020-01-01T00:00:00Z');
  const notAfter = new Date('2040-01-01T00:00:00Z');
  const root = await createRootCertificate({
    signer: maker,
    subject: subject('伪造的根证书'),
    notBefore,
    notAfter,
  });
  const signerCertificate = await createSealCertificate({
    issuerSigner: maker,
    issuerCertificate: root,
    subjectPublicKey: signer.publicKey,
    subject: subject(sealName),
    notBefore,
    notAfter,
  });
  const seal = await createSeal({
    makerSigner: maker,
    makerCertificate: root,
    sealCertificate: signerCertificate,
    name: sealName,
    picturePng: sealPng({ text: sealName, sizePx: 120 }),
    validity: { start: notBefore, end: notAfter },
    createdAt: notBefore,
  });
  return { seal, signer, signerCertificate };
}

export interface DocumentOptions {
  /** Replace metadata values (or drop one with `undefined`). */
  metadata?: Record<string, string | undefined>;
  /** The embedded signed data; `null` leaves the attachment out. Defaults to the certificate's. */
  attachment?: Uint8Array | null;
}

interface Prepared {
  page: BuildOfdOptions['page'];
  fonts: BuildOfdOptions['fonts'];
  customData: Record<string, string>;
  attachment: Uint8Array | null;
  time: Date;
}

async function prepare(ctx: ServiceContext, identifier: string, opts: DocumentOptions): Promise<Prepared> {
  const [row] = await ctx.db.select().from(certificates).where(eq(certificates.identifier, identifier));
  if (!row) throw new Error(`no certificate ${identifier}`);
  const signedData = Buffer.from(ctx.vault.open('certificate.signed_data', row.signedDataEnc), 'utf8');
  const assertion = JSON.parse(signedData.toString('utf8')) as CertificateAssertion;
  const metadata: Record<string, string | undefined> = {
    identifier: row.identifier,
    kindCode: row.kindCode,
    certificateNumber: row.certificateNumber,
    issuerCode: assertion.issuer.code,
    issuerName: assertion.issuer.name,
    catalogVersion: String(row.catalogVersion),
    templateId: `test-${row.kindCode}`,
    signedDataSm3: row.signedDataDigest,
    issuedAt: row.signedAt.toISOString(),
    ...opts.metadata,
  };
  return {
    page: {
      widthMm: 210,
      heightMm: 297,
      items: [
        { kind: 'text', text: `Certificate ${row.certificateNumber}`, xMm: 20, yMm: 30, sizeMm: 6 },
        { kind: 'text', text: row.identifier, xMm: 20, yMm: 50, sizeMm: 3 },
      ],
    },
    fonts: [{ name: 'DejaVu Sans', file: readFileSync(FONT) }],
    customData: Object.fromEntries(
      Object.entries(metadata).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    attachment: opts.attachment === undefined ? signedData : opts.attachment,
    time: row.signedAt,
  };
}

const STAMP: [number, number, number, number] = [150, 230, 42, 42];

/** A sealed OFD for the certificate `identifier` as stored. */
export async function certificateOfd(
  ctx: ServiceContext,
  keys: SealingKeys,
  identifier: string,
  opts: DocumentOptions = {},
): Promise<Buffer> {
  const p = await prepare(ctx, identifier, opts);
  const files = buildOfd({
    page: p.page,
    fonts: p.fonts,
    customData: p.customData,
    docInfo: { title: 'roadcert test document' },
  });
  if (p.attachment !== null) files.set(ATTACHMENT_PATH, Buffer.from(p.attachment));
  return signOfd(files, {
    seal: keys.seal,
    signer: keys.signer,
    signerCertificate: keys.signerCertificate,
    time: p.time,
    stamp: { pageIndex: 0, boundaryMm: STAMP },
  });
}

/** The same certificate as a sealed PDF (the signed data embedded as `certificate.json`). */
export async function certificatePdf(
  ctx: ServiceContext,
  keys: SealingKeys,
  identifier: string,
  opts: DocumentOptions = {},
): Promise<Buffer> {
  const p = await prepare(ctx, identifier, opts);
  if (p.attachment === null) throw new Error('a PDF always carries its signed data');
  return buildSignedPdf({
    page: p.page,
    fonts: p.fonts,
    title: 'roadcert test document',
    customData: p.customData,
    attachment: { name: 'certificate.json', bytes: p.attachment, mimeType: 'application/json' },
    signing: {
      seal: keys.seal,
      signer: keys.signer,
      signerCertificate: keys.signerCertificate,
      time: p.time,
      stamp: { boundaryMm: STAMP },
    },
  });
}
