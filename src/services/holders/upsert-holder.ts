import { eq } from 'drizzle-orm';
import type { Db } from '../../store/db.ts';
import { holders } from '../../store/schema.ts';
import type { PiiVault } from '../pii.ts';

/** The blind index that identifies a holder: id type and id together. */
export function holderIndex(vault: PiiVault, idType: string, id: string): string {
  return vault.index('holder.id', `${idType}:${id}`);
}

/**
 * Finds or creates the holder of a record; a newer name or phone from the licensing system
 * replaces the stored one. Returns the holder's row id.
 */
export async function upsertHolder(
  tx: Db,
  vault: PiiVault,
  holder: { idType: string; id: string; name: string; phone?: string | undefined },
  at: Date,
): Promise<string> {
  const idIndex = holderIndex(vault, holder.idType, holder.id);
  const phone = holder.phone
    ? {
        phoneEnc: vault.seal('holder.phone', holder.phone),
        phoneIndex: vault.index('holder.phone', holder.phone),
      }
    : {};
  const [row] = await tx
    .insert(holders)
    .values({
      idIndex,
      idType: holder.idType,
      idEnc: vault.seal('holder.id', holder.id),
      nameEnc: vault.seal('holder.name', holder.name),
      ...phone,
      createdAt: at,
      updatedAt: at,
    })
    .onConflictDoUpdate({
      target: holders.idIndex,
      set: { nameEnc: vault.seal('holder.name', holder.name), ...phone, updatedAt: at },
    })
    .returning({ id: holders.id });
  if (row) return row.id;
  const [existing] = await tx.select({ id: holders.id }).from(holders).where(eq(holders.idIndex, idIndex));
  return existing!.id;
}
