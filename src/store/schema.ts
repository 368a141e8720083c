import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/*
 * One schema for both engines (PGlite embedded, PostgreSQL server). Every table that grows
 * with the province carries `region_code` on its primary access path, so that a national
 * deployment can shard by region (see docs/architecture.md §Scale).
 */

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

/** Versions of the certificate catalog. A version is immutable once locked (first used). */
export const catalogVersions = pgTable('catalog_versions', {
  version: integer('version').primaryKey(),
  content: jsonb('content').notNull(),
  /** SM3 of the canonical JSON of `content`. */
  digest: text('digest').notNull(),
  note: text('note'),
  createdAt: createdAt(),
  createdBy: text('created_by').notNull(),
  lockedAt: timestamp('locked_at', { withTimezone: true, mode: 'date' }),
});

/** Province key material: the root and seal keys, private parts SM4-wrapped under the KEK. */
export const keyMaterial = pgTable(
  'key_material',
  {
    keyId: text('key_id').primaryKey(),
    purpose: text('purpose', { enum: ['root', 'seal'] }).notNull(),
    status: text('status', { enum: ['active', 'retired'] }).notNull(),
    algorithm: text('algorithm').notNull(),
    publicKey: text('public_key').notNull(),
    wrappedPrivateKey: text('wrapped_private_key').notNull(),
    certificatePem: text('certificate_pem').notNull(),
    notBefore: timestamp('not_before', { withTimezone: true, mode: 'date' }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
    retiredAt: timestamp('retired_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('key_material_one_active').on(t.purpose).where(sql`status = 'active'`)],
);

export const staffUsers = pgTable(
  'staff_users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role').notNull(),
    regionCode: text('region_code').notNull(),
    /** Department the account belongs to (e.g. 沈阳市交通运输局). */
    department: text('department'),
    /** Mobile phone, SM4-sealed; `phoneIndex` is the keyed SM3 blind index for lookups. */
    phoneEnc: text('phone_enc'),
    phoneIndex: text('phone_index'),
    passwordHash: text('password_hash').notNull(),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true, mode: 'date' }),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('staff_users_username').on(sql`lower(${t.username})`),
    index('staff_users_region').on(t.regionCode, t.role),
  ],
);

/** Staff sessions. Only the SM3 of the bearer token is stored. */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => staffUsers.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('staff_sessions_user').on(t.userId)],
);

/**
 * The tamper-evident audit trail. Records form one SM3 hash chain per city-level
 * region (`chain`), so appends in different cities never wait on each other; `seq` is gapless
 * inside a chain and `audit_heads` holds each chain's newest hash.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    chain: text('chain').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    actorRole: text('actor_role'),
    actorRegion: text('actor_region'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    regionCode: text('region_code').notNull(),
    requestId: text('request_id'),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    details: jsonb('details').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    uniqueIndex('audit_log_chain_seq').on(t.chain, t.seq),
    index('audit_log_region_at').on(t.regionCode, t.at),
    index('audit_log_target').on(t.targetType, t.targetId),
  ],
);

export const auditHeads = pgTable('audit_heads', {
  chain: text('chain').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/**
 * Serial numbers of GB/T 36904 identifiers. A database sequence, so several API nodes never
 * mint the same serial (no in-memory counters).
 */
export const certificateSerialSeq = pgSequence('certificate_serial_seq', { startWith: 1, cache: 1 });
