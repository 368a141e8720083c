import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { SoftwareSigner } from '../../crypto/signer.ts';
import { publicKeyToPem } from '../../crypto/sm2.ts';
import { type CertificateSubject, createRootCertificate, createSealCertificate } from '../../crypto/x509.ts';
import { keyMaterial } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { requirePermission } from '../scope.ts';
import { activeKey } from './keyring.ts';

export interface InitKeysResult {
  created: boolean;
  rootKeyId: string;
  rootSubject: string;
  sealKeyId: string;
  sealSubject: string;
  sealNotBefore: string;
  sealNotAfter: string;
}

const ROOT_YEARS = 20;
const SEAL_YEARS = 5;

const describe = (s: CertificateSubject) =>
  [
    `C=${s.country}`,
    s.province && `ST=${s.province}`,
    s.organization && `O=${s.organization}`,
    `CN=${s.commonName}`,
  ]
    .filter(Boolean)
    .join(', ');

function keyId(purpose: 'root' | 'seal', at: Date): string {
  return `${purpose}-${at.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}

function addYears(d: Date, years: number): Date {
  const r = new Date(d);
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

/**
 * `roadcert keys init`: the province root key with its self-signed certificate, and the seal
 * key (电子证照专用章) with a certificate issued by the root, all SM2-with-SM3. Idempotent: with
 * keys in place it changes nothing unless `force`, which retires the seal key (its certificate
 * stays published so earlier certificates still verify) and makes a new one under the same root.
 */
export async function initProvinceKeys(
  ctx: ServiceContext,
  actor: Actor,
  opts: { force: boolean },
): Promise<InitKeysResult> {
  requirePermission(actor, 'keys.manage');
  const { province } = ctx.config;
  const now = ctx.clock.now();
  // Certificates start a little in the past so a verifier with a slightly slow clock accepts them.
  const notBefore = new Date(now.getTime() - 5 * 60_000);

  return ctx.db.transaction(async (tx) => {
    let root = await activeKey(tx, 'root');
    const seal = await activeKey(tx, 'seal');
    if (root && seal && !opts.force) {
      return {
        created: false,
        rootKeyId: root.keyId,
        rootSubject: rootSubjectOf(ctx),
        sealKeyId: seal.keyId,
        sealSubject: sealSubjectOf(ctx),
        sealNotBefore: seal.notBefore.toISOString(),
        sealNotAfter: seal.notAfter.toISOString(),
      };
    }

    let rootSigner: SoftwareSigner;
    if (!root) {
      const id = keyId('root', now);
      const generated = SoftwareSigner.generate(id);
      const cert = await createRootCertificate({
        signer: generated.signer,
        subject: rootSubject(ctx),
        notBefore,
        notAfter: addYears(notBefore, ROOT_YEARS),
      });
      [root] = await tx
        .insert(keyMaterial)
        .values({
          keyId: id,
          purpose: 'root',
          status: 'active',
          algorithm: 'SM2-SM3',
          publicKey: publicKeyToPem(generated.signer.publicKey),
          wrappedPrivateKey: generated.wrapped(ctx.config.kek),
          certificatePem: cert.pem,
          notBefore: cert.notBefore,
          notAfter: cert.notAfter,
          createdAt: now,
        })
        .returning();
      rootSigner = generated.signer;
    } else {
      rootSigner = SoftwareSigner.fromWrapped(root.wrappedPrivateKey, ctx.config.kek, root.keyId);
    }
    if (!root) throw new Error('root key row missing after insert');

    if (seal) {
      await tx
        .update(keyMaterial)
        .set({ status: 'retired', retiredAt: now })
        .where(and(eq(keyMaterial.keyId, seal.keyId), eq(keyMaterial.status, 'active')));
    }
    const sealId = keyId('seal', now);
    const generatedSeal = SoftwareSigner.generate(sealId);
    const sealNotAfter = new Date(
      Math.min(addYears(notBefore, SEAL_YEARS).getTime(), root.notAfter.getTime()),
    );
    const sealCert = await createSealCertificate({
      issuerSigner: rootSigner,
      issuerCertificate: root.certificatePem,
      subjectPublicKey: generatedSeal.signer.publicKey,
      subject: sealSubject(ctx),
      notBefore,
      notAfter: sealNotAfter,
    });
    await tx.insert(keyMaterial).values({
      keyId: sealId,
      purpose: 'seal',
      status: 'active',
      algorithm: 'SM2-SM3',
      publicKey: publicKeyToPem(generatedSeal.signer.publicKey),
      wrappedPrivateKey: generatedSeal.wrapped(ctx.config.kek),
      certificatePem: sealCert.pem,
      notBefore: sealCert.notBefore,
      notAfter: sealCert.notAfter,
      createdAt: now,
    });
    await appendAudit(
      tx,
      actor,
      {
        action: seal ? 'keys.replace' : 'keys.init',
        regionCode: province.code,
        targetType: 'key',
        targetId: sealId,
        details: {
          rootKeyId: root.keyId,
          sealKeyId: sealId,
          retired: seal?.keyId ?? null,
          sealSerial: sealCert.serialHex,
        },
      },
      { at: now, requestId: ctx.requestId },
    );
    return {
      created: true,
      rootKeyId: root.keyId,
      rootSubject: rootSubjectOf(ctx),
      sealKeyId: sealId,
      sealSubject: sealSubjectOf(ctx),
      sealNotBefore: sealCert.notBefore.toISOString(),
      sealNotAfter: sealCert.notAfter.toISOString(),
    };
  });
}

function rootSubject(ctx: ServiceContext): CertificateSubject {
  const { province } = ctx.config;
  return {
    country: 'CN',
    province: province.name,
    organization: province.authorityName,
    commonName: `${province.name}道路运输电子证照根证书`,
  };
}

function sealSubject(ctx: ServiceContext): CertificateSubject {
  const { province } = ctx.config;
  return {
    country: 'CN',
    province: province.name,
    organization: province.authorityName,
    commonName: province.sealName,
  };
}

const rootSubjectOf = (ctx: ServiceContext) => describe(rootSubject(ctx));
const sealSubjectOf = (ctx: ServiceContext) => describe(sealSubject(ctx));
