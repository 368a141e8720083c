import { and, desc, eq, isNull } from 'drizzle-orm';
import { canonicalJson } from '../../crypto/canonical-json.ts';
import { sm3Hex } from '../../crypto/sm3.ts';
import { type CatalogContent, DEFAULT_CATALOG } from '../../domain/catalog/index.ts';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { catalogVersions } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { requirePermission } from '../scope.ts';
import { checkCatalogContent } from './check-catalog.ts';

export interface CatalogVersionView {
  version: number;
  digest: string;
  note: string | null;
  createdAt: string;
  createdBy: string;
  locked: boolean;
  content: CatalogContent;
}

export function catalogContentDigest(content: CatalogContent): string {
  let canonical: string;
  try {
    canonical = canonicalJson(content);
  } catch (cause) {
    throw new AppError('VALIDATION_FAILED', `目录内容无法规范化：${(cause as Error).message}`, { cause });
  }
  return sm3Hex(canonical);
}

function view(row: typeof catalogVersions.$inferSelect): CatalogVersionView {
  return {
    version: row.version,
    digest: row.digest,
    note: row.note,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    locked: row.lockedAt !== null,
    content: row.content as CatalogContent,
  };
}

/** First start: the shipped catalog becomes version 1. Safe to call on every start. */
export async function ensureCatalog(db: Db): Promise<void> {
  await db
    .insert(catalogVersions)
    .values({
      version: 1,
      content: DEFAULT_CATALOG,
      digest: catalogContentDigest(DEFAULT_CATALOG),
      note: '初始目录（随平台发布）',
      createdBy: 'system',
    })
    .onConflictDoNothing();
}

export async function currentCatalog(db: Db): Promise<CatalogVersionView> {
  const [row] = await db.select().from(catalogVersions).orderBy(desc(catalogVersions.version)).limit(1);
  if (!row) throw new AppError('NOT_READY', '证照目录尚未初始化');
  return view(row);
}

export async function getCatalogVersion(db: Db, version: number): Promise<CatalogVersionView> {
  const [row] = await db.select().from(catalogVersions).where(eq(catalogVersions.version, version));
  if (!row) throw new AppError('NOT_FOUND', `证照目录版本 ${version} 不存在`);
  return view(row);
}

export async function listCatalogVersions(db: Db): Promise<Omit<CatalogVersionView, 'content'>[]> {
  const rows = await db.select().from(catalogVersions).orderBy(desc(catalogVersions.version));
  return rows.map(({ content: _content, ...r }) => {
    const { content: _c, ...rest } = view({ ...r, content: null });
    return rest;
  });
}

/**
 * Catalog updates never edit a version: they add the next one. Certificates record the
 * version they were made under, and a database trigger refuses edits to a locked version.
 */
export async function createCatalogVersion(
  ctx: ServiceContext,
  actor: Actor,
  input: { content: unknown; note?: string },
): Promise<CatalogVersionView> {
  requirePermission(actor, 'catalog.manage');
  const content = checkCatalogContent(input.content);
  const digest = catalogContentDigest(content);
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [latest] = await tx
      .select()
      .from(catalogVersions)
      .orderBy(desc(catalogVersions.version))
      .limit(1)
      .for('update');
    if (latest?.digest === digest)
      throw new AppError('CONFLICT', `目录内容与当前版本 ${latest.version} 相同，无需新建版本`);
    const version = (latest?.version ?? 0) + 1;
    const [row] = await tx
      .insert(catalogVersions)
      .values({ version, content, digest, note: input.note ?? null, createdAt: now, createdBy: actor.id })
      .returning();
    await appendAudit(
      tx,
      actor,
      {
        action: 'catalog.version_create',
        regionCode: ctx.config.province.code,
        targetType: 'catalog_version',
        targetId: String(version),
        details: { digest, previous: latest?.version ?? null },
      },
      { at: now, requestId: ctx.requestId },
    );
    return view(row!);
  });
}

/** Called by issuance when a version is first used; from then on the version is immutable. */
export async function lockCatalogVersion(tx: Db, version: number, at: Date): Promise<void> {
  await tx
    .update(catalogVersions)
    .set({ lockedAt: at })
    .where(and(eq(catalogVersions.version, version), isNull(catalogVersions.lockedAt)));
}
