import { and, eq } from 'drizzle-orm';
import { type Signer, SoftwareSigner } from '../../crypto/signer.ts';
import { type ParsedCertificate, parseCertificate } from '../../crypto/x509.ts';
import { type DocumentFormat, type RenderedDocument, renderCertificate } from '../../documents/render.ts';
import { sealPng } from '../../documents/seal/seal-image.ts';
import { createSeal } from '../../documents/seal/ses.ts';
import { AppError } from '../../errors.ts';
import { type certificates, documentSeals, keyMaterial } from '../../store/schema.ts';
import { getCatalogVersion } from '../catalog/catalog-versions.ts';
import type { ServiceContext } from '../context.ts';
import type { CertificateAssertion } from '../issuance/seal-certificate.ts';
import type { Keyring } from '../keys/keyring.ts';

type CertificateRow = typeof certificates.$inferSelect;

/** Pixels of the seal picture stored in the SESeal (42 mm → about 240 dpi). */
const SEAL_PICTURE_PX = 400;

function notInitialized(): AppError {
  return new AppError('KEY_NOT_INITIALIZED', '省级签章密钥尚未初始化，请运行 npx roadcert keys init');
}

/**
 * The key that sealed the certificate, with its certificate. A document is sealed by the same
 * key as the certificate's data and at the same time (its issuance), so a certificate issued
 * before a key change is rendered with the retired key, whose certificate covers that time.
 */
async function sealKeyOf(
  ctx: ServiceContext,
  keyring: Keyring,
  keyId: string,
): Promise<{ signer: Signer; certificate: ParsedCertificate }> {
  const trust = keyring.trust();
  const [row] = await ctx.db
    .select()
    .from(keyMaterial)
    .where(and(eq(keyMaterial.keyId, keyId), eq(keyMaterial.purpose, 'seal')));
  if (!row || !trust) throw notInitialized();
  const signer =
    trust.sealKeyId === keyId
      ? keyring.sealSigner()
      : SoftwareSigner.fromWrapped(row.wrappedPrivateKey, ctx.config.kek, row.keyId);
  return { signer, certificate: parseCertificate(row.certificatePem) };
}

/**
 * The SESeal of a seal key: made once by the province root (制章者) with the seal picture
 * (`sealPng` of the configured seal name) and stored; later calls read it. Concurrent first
 * calls may both make one; only the first insert is kept and every caller uses that one.
 */
export async function documentSealFor(
  ctx: ServiceContext,
  keyId: string,
  sealCertificate: ParsedCertificate,
): Promise<Buffer> {
  const read = async () =>
    (await ctx.db.select().from(documentSeals).where(eq(documentSeals.sealKeyId, keyId)))[0]?.seal;
  const stored = await read();
  if (stored) return stored;
  const [root] = await ctx.db
    .select()
    .from(keyMaterial)
    .where(and(eq(keyMaterial.purpose, 'root'), eq(keyMaterial.status, 'active')));
  if (!root) throw notInitialized();
  const maker = SoftwareSigner.fromWrapped(root.wrappedPrivateKey, ctx.config.kek, root.keyId);
  const name = ctx.config.province.sealName;
  const seal = await createSeal({
    makerSigner: maker,
    makerCertificate: root.certificatePem,
    sealCertificate,
    name,
    picturePng: sealPng({ text: name, sizePx: SEAL_PICTURE_PX }),
    validity: { start: sealCertificate.notBefore, end: sealCertificate.notAfter },
    createdAt: sealCertificate.notBefore,
  });
  await ctx.db
    .insert(documentSeals)
    .values({ sealKeyId: keyId, seal, createdAt: ctx.clock.now() })
    .onConflictDoNothing();
  const kept = await read();
  if (!kept) throw new AppError('INTERNAL', '电子印章保存失败');
  return kept;
}

/**
 * The QR's verification link must be https (the payload format requires it). A plain-http
 * base (a local demo) is written as https: the offline payload verifies all the same.
 */
export function verifyBaseUrl(publicUrl: string): string {
  return publicUrl.replace(/^http:\/\//, 'https://');
}

/** Renders the document of one stored certificate version: no authorization here (callers do it). */
export async function renderCertificateDocument(
  ctx: ServiceContext,
  keyring: Keyring,
  row: CertificateRow,
  format: DocumentFormat,
): Promise<RenderedDocument> {
  const signedText = ctx.vault.open('certificate.signed_data', row.signedDataEnc);
  const signedData = Buffer.from(signedText, 'utf8');
  const certificate = JSON.parse(signedText) as CertificateAssertion;
  const catalog = (await getCatalogVersion(ctx.db, row.catalogVersion)).content;
  const key = await sealKeyOf(ctx, keyring, row.sealKeyId);
  const seal = await documentSealFor(ctx, row.sealKeyId, key.certificate);
  return renderCertificate(
    {
      certificate,
      signedData,
      catalog,
      seal: { der: seal, signer: key.signer, certificate: key.certificate },
      verifyBaseUrl: verifyBaseUrl(ctx.config.publicUrl),
    },
    format,
  );
}
