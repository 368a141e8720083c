import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { ServiceContext } from '../context.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { IntakeContext } from './types.ts';

/** Issuance context for one batch: the active seal signer and the current catalog version. */
export async function openIntakeContext(base: ServiceContext, keyring: Keyring): Promise<IntakeContext> {
  return { ...base, signer: keyring.sealSigner(), catalog: await currentCatalog(base.db) };
}
