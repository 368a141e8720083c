import { and, desc, eq } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import { type Signer, SoftwareSigner } from '../../crypto/signer.ts';
import { SM2_DEFAULT_ID } from '../../crypto/sm2-curve.ts';
import { parseCertificate } from '../../crypto/x509.ts';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { keyMaterial } from '../../store/schema.ts';

export interface TrustMaterial {
  province: { code: string; name: string; authority: string };
  algorithm: 'SM2-with-SM3';
  signerId: string;
  rootCertificate: string;
  sealCertificate: string;
  sealKeyId: string;
  sealName: string;
  notBefore: string;
  notAfter: string;
  /** Earlier seal certificates, so documents sealed before a key change still verify. */
  retiredSealCertificates: { keyId: string; certificate: string; retiredAt: string }[];
}

/**
 * The province's active keys, loaded from the store once and on change. The seal private key
 * stays inside its Signer; only public material leaves this object.
 */
export class Keyring {
  #trust: TrustMaterial | null = null;
  #seal: Signer | null = null;
  /** Seal certificates by key id (current and retired), each parsed once per reload. */
  #sealReferences = new Map<string, SealReference>();

  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {}

  static async load(db: Db, config: Config): Promise<Keyring> {
    const k = new Keyring(db, config);
    await k.reload();
    return k;
  }

  async reload(): Promise<void> {
    const rows = await this.db.select().from(keyMaterial).orderBy(desc(keyMaterial.createdAt));
    const root = rows.find((r) => r.purpose === 'root' && r.status === 'active');
    const seal = rows.find((r) => r.purpose === 'seal' && r.status === 'active');
    this.#sealReferences = new Map(
      rows
        .filter((r) => r.purpose === 'seal')
        .map((r) => [r.keyId, sealReferenceOf(r.keyId, r.certificatePem)]),
    );
    if (!root || !seal) {
      this.#trust = null;
      this.#seal = null;
      return;
    }
    this.#seal = SoftwareSigner.fromWrapped(seal.wrappedPrivateKey, this.config.kek, seal.keyId);
    this.#trust = {
      province: {
        code: this.config.province.code,
        name: this.config.province.name,
        authority: this.config.province.authorityName,
      },
      algorithm: 'SM2-with-SM3',
      signerId: SM2_DEFAULT_ID,
      rootCertificate: root.certificatePem,
      sealCertificate: seal.certificatePem,
      sealKeyId: seal.keyId,
      sealName: this.config.province.sealName,
      notBefore: seal.notBefore.toISOString(),
      notAfter: seal.notAfter.toISOString(),
      retiredSealCertificates: rows
        .filter((r) => r.purpose === 'seal' && r.status === 'retired')
        .map((r) => ({
          keyId: r.keyId,
          certificate: r.certificatePem,
          retiredAt: (r.retiredAt ?? r.createdAt).toISOString(),
        })),
    };
  }

  trust(): TrustMaterial | null {
    return this.#trust;
  }

  requireTrust(): TrustMaterial {
    if (!this.#trust)
      throw new AppError('KEY_NOT_INITIALIZED', '省级签章密钥尚未初始化，请运行 npx roadcert keys init');
    return this.#trust;
  }

  /**
   * How a verifier finds the seal certificate that checks a signature made with `keyId`: the
   * certificate itself (current or retired) and where the trust material is published.
   */
  sealReference(keyId: string): SealReference {
    return (
      this.#sealReferences.get(keyId) ?? {
        keyId,
        algorithm: 'SM2-with-SM3',
        signerId: SM2_DEFAULT_ID,
        certificateSerial: null,
        certificate: null,
        trustUrl: TRUST_URL,
      }
    );
  }

  sealSigner(): Signer {
    if (!this.#seal)
      throw new AppError('KEY_NOT_INITIALIZED', '省级签章密钥尚未初始化，请运行 npx roadcert keys init');
    return this.#seal;
  }
}

const TRUST_URL = '/api/v1/trust';

export interface SealReference {
  keyId: string;
  algorithm: 'SM2-with-SM3';
  signerId: string;
  certificateSerial: string | null;
  /** PEM. */
  certificate: string | null;
  trustUrl: string;
}

function sealReferenceOf(keyId: string, pem: string): SealReference {
  return {
    keyId,
    algorithm: 'SM2-with-SM3',
    signerId: SM2_DEFAULT_ID,
    certificateSerial: parseCertificate(pem).serialHex,
    certificate: pem,
    trustUrl: TRUST_URL,
  };
}

export async function activeKey(db: Db, purpose: 'root' | 'seal') {
  const [row] = await db
    .select()
    .from(keyMaterial)
    .where(and(eq(keyMaterial.purpose, purpose), eq(keyMaterial.status, 'active')));
  return row;
}
