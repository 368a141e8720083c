import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
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
 * The tamper-evident audit trail. Records form one SM3 hash chain per region
 * code (`chain`), so appends in different regions never wait on each other; `seq` is gapless
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

/* ───────────────────────── aggregation and issuance (issue #3) ───────────────────────── */

/**
 * Registered machine clients: source systems (运政系统) that push records, and later relying
 * parties. The secret itself is never stored: clients get a secret longer than SM3's block, so
 * HMAC-SM3 keys it by SM3(secret) (RFC 2104); only that hash is kept, SM4-sealed under the KEK.
 */
export const clients = pgTable(
  'clients',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['source', 'relying'] }).notNull(),
    regionCode: text('region_code').notNull(),
    secretHashEnc: text('secret_hash_enc').notNull(),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    createdAt: createdAt(),
    createdBy: text('created_by').notNull(),
  },
  (t) => [index('clients_region').on(t.regionCode)],
);

/** Signatures already seen inside the ±5 minute window: a replayed request is refused. */
export const clientRequestNonces = pgTable(
  'client_request_nonces',
  {
    clientId: text('client_id').notNull(),
    signatureHash: text('signature_hash').notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    uniqueIndex('client_request_nonces_pk').on(t.clientId, t.signatureHash),
    index('client_request_nonces_seen').on(t.seenAt),
  ],
);

/**
 * Holders (持证主体). Identified by a blind index over id type + id; the id, name and phone are
 * SM4-sealed. The wallet signs holders in against these rows.
 */
export const holders = pgTable(
  'holders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idIndex: text('id_index').notNull(),
    idType: text('id_type').notNull(),
    idEnc: text('id_enc').notNull(),
    nameEnc: text('name_enc').notNull(),
    phoneEnc: text('phone_enc'),
    phoneIndex: text('phone_index'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('holders_id_index').on(t.idIndex)],
);

/**
 * A licence as the source system knows it (one `sourceRecordId`): paper-only (baseline) or
 * electronic, with its lifecycle state. Its e-certificate versions are rows of `certificates`.
 */
export const licences = pgTable(
  'licences',
  {
    sourceRecordId: text('source_record_id').primaryKey(),
    regionCode: text('region_code').notNull(),
    kindCode: text('kind_code').notNull(),
    certificateNumber: text('certificate_number').notNull(),
    holderId: uuid('holder_id')
      .notNull()
      .references(() => holders.id),
    /** paper | valid | suspended | revoked | expired (see src/domain/lifecycle.ts). */
    state: text('state').notNull(),
    /** Highest sourceVersion applied. */
    sourceVersion: integer('source_version').notNull(),
    serial: text('serial'),
    currentIdentifier: text('current_identifier'),
    validTo: text('valid_to'),
    /** The last paper (baseline) data, sealed, until the licence becomes electronic. */
    paperDataEnc: text('paper_data_enc'),
    firstElectronicAt: timestamp('first_electronic_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('licences_region_kind_state').on(t.regionCode, t.kindCode, t.state),
    index('licences_holder').on(t.holderId),
    index('licences_valid_to').on(t.state, t.validTo),
  ],
);

/**
 * Sealed e-certificate versions. `signed_data_enc` holds the exact canonical bytes that were
 * signed (they contain personal data, so they are sealed at rest); `signature` is the DER SM2
 * signature by the seal key `seal_key_id`.
 */
export const certificates = pgTable(
  'certificates',
  {
    identifier: text('identifier').primaryKey(),
    serial: text('serial').notNull(),
    version: integer('version').notNull(),
    sourceRecordId: text('source_record_id')
      .notNull()
      .references(() => licences.sourceRecordId),
    regionCode: text('region_code').notNull(),
    kindCode: text('kind_code').notNull(),
    certificateNumber: text('certificate_number').notNull(),
    holderId: uuid('holder_id')
      .notNull()
      .references(() => holders.id),
    /** valid | suspended | superseded | revoked | expired. */
    status: text('status').notNull(),
    statusReason: text('status_reason'),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true, mode: 'date' }).notNull(),
    issueDate: text('issue_date').notNull(),
    validFrom: text('valid_from'),
    validTo: text('valid_to'),
    catalogVersion: integer('catalog_version').notNull(),
    signedDataEnc: text('signed_data_enc').notNull(),
    /** SM3 of the signed bytes, hex: lets a verifier match a document without the data. */
    signedDataDigest: text('signed_data_digest').notNull(),
    signature: text('signature').notNull(),
    sealKeyId: text('seal_key_id').notNull(),
    signedAt: timestamp('signed_at', { withTimezone: true, mode: 'date' }).notNull(),
    previousIdentifier: text('previous_identifier'),
    nextIdentifier: text('next_identifier'),
    event: text('event').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('certificates_serial_version').on(t.serial, t.version),
    index('certificates_region_kind_status').on(t.regionCode, t.kindCode, t.status),
    index('certificates_source').on(t.sourceRecordId, t.version),
    index('certificates_holder').on(t.holderId),
    index('certificates_region_signed').on(t.regionCode, t.signedAt),
  ],
);

/** Status history of every certificate version, and the events that made versions. */
export const certificateEvents = pgTable(
  'certificate_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sourceRecordId: text('source_record_id').notNull(),
    regionCode: text('region_code').notNull(),
    identifier: text('identifier'),
    event: text('event').notNull(),
    fromState: text('from_state'),
    toState: text('to_state').notNull(),
    reason: text('reason'),
    sourceVersion: integer('source_version'),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    index('certificate_events_source').on(t.sourceRecordId, t.id),
    index('certificate_events_region_at').on(t.regionCode, t.at),
  ],
);

/**
 * Every record version received (sourceRecordId + sourceVersion), with its outcome: a re-push
 * of the same pair answers this row's outcome and changes nothing.
 */
export const intakeRecords = pgTable(
  'intake_records',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sourceRecordId: text('source_record_id').notNull(),
    sourceVersion: integer('source_version').notNull(),
    clientId: text('client_id').notNull(),
    event: text('event').notNull(),
    kindCode: text('kind_code').notNull(),
    regionCode: text('region_code').notNull(),
    status: text('status', { enum: ['issued', 'updated', 'recorded', 'nonstandard'] }).notNull(),
    identifier: text('identifier'),
    errors: jsonb('errors'),
    /** Event date claimed by the record (issue/change date), for outage re-push tracking. */
    eventDate: text('event_date'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    uniqueIndex('intake_records_source_version').on(t.sourceRecordId, t.sourceVersion),
    index('intake_records_region_received').on(t.regionCode, t.receivedAt),
  ],
);

/** The non-standard data queue: records kept unsealed until corrected. */
export const nonstandardItems = pgTable(
  'nonstandard_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sourceRecordId: text('source_record_id').notNull(),
    sourceVersion: integer('source_version').notNull(),
    clientId: text('client_id').notNull(),
    event: text('event').notNull(),
    kindCode: text('kind_code').notNull(),
    regionCode: text('region_code').notNull(),
    /** The full record as received (then as corrected), SM4-sealed. */
    recordEnc: text('record_enc').notNull(),
    errors: jsonb('errors').notNull(),
    /** open | resolved | replaced. */
    status: text('status').notNull(),
    corrections: integer('corrections').notNull().default(0),
    identifier: text('identifier'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
    resolvedBy: text('resolved_by'),
  },
  (t) => [
    index('nonstandard_region_status').on(t.regionCode, t.status, t.kindCode),
    index('nonstandard_source').on(t.sourceRecordId),
  ],
);

/** Transactional outbox: written in the transaction that makes the change, processed after. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('outbox_pending').on(t.processedAt, t.id)],
);

/** The holder's inbox (运证通): what was delivered, and whether it was read. */
export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    holderId: uuid('holder_id')
      .notNull()
      .references(() => holders.id),
    identifier: text('identifier').notNull(),
    regionCode: text('region_code').notNull(),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    outboxId: bigint('outbox_id', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
    readAt: timestamp('read_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('deliveries_outbox').on(t.outboxId),
    index('deliveries_holder').on(t.holderId, t.createdAt),
  ],
);

/** Outages reported by departments and their re-push deadline. */
export const outages = pgTable(
  'outages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    regionCode: text('region_code').notNull(),
    department: text('department'),
    cause: text('cause').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    clearedAt: timestamp('cleared_at', { withTimezone: true, mode: 'date' }),
    deadline: timestamp('deadline', { withTimezone: true, mode: 'date' }),
    /** ongoing | cleared (re-push due) | completed | overdue. */
    status: text('status').notNull(),
    repushedRecords: integer('repushed_records').notNull().default(0),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'date' }),
    reportedBy: text('reported_by').notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('outages_region_status').on(t.regionCode, t.status)],
);

/**
 * Holiday years loaded by an operator from the State Council's yearly notice (R-5.3's working
 * days), for years after those shipped in src/domain/calendar.ts. `periods` is the checked
 * shape of `parseHolidayYear`; every server and CLI registers these rows at start-up.
 */
export const holidayYears = pgTable(
  'holiday_years',
  {
    year: integer('year').primaryKey(),
    source: text('source').notNull(),
    periods: jsonb('periods').notNull(),
    loadedBy: text('loaded_by').notNull(),
    loadedAt: timestamp('loaded_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [check('holiday_years_year', sql`${t.year} between 2000 and 2099`)],
);

/** Bulk imports (`roadcert import`): progress per file, so an interrupted run resumes. */
export const importRuns = pgTable('import_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  fileName: text('file_name').notNull(),
  fileDigest: text('file_digest').notNull(),
  totalRows: integer('total_rows').notNull(),
  processedRows: integer('processed_rows').notNull().default(0),
  status: text('status').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
});

/* ───────────────────────── holder wallet (运证通) ───────────────────────── */

/**
 * One-time sign-in codes, one row per request for an (id, phone) pair whether or not a holder
 * matched: the per-pair rate limit then answers the same either way, so responses never reveal
 * which pairs exist. Only a matching request gets a code, kept as a keyed SM3 hash. At most one
 * unconsumed code per holder (a new one consumes the old).
 */
export const holderOtps = pgTable(
  'holder_otps',
  {
    id: uuid('id').primaryKey(),
    idIndex: text('id_index').notNull(),
    phoneIndex: text('phone_index').notNull(),
    holderId: uuid('holder_id').references(() => holders.id),
    codeHash: text('code_hash'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Set when the code is used, replaced by a newer code, or voided by a lockout. */
    consumedAt: timestamp('consumed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('holder_otps_pair').on(t.idIndex, t.phoneIndex, t.createdAt),
    uniqueIndex('holder_otps_one_live')
      .on(t.holderId)
      .where(sql`consumed_at is null and code_hash is not null`),
  ],
);

/** Consecutive wrong codes per (id, phone) pair, and the code sign-in lockout they cause. */
export const holderSignInGuards = pgTable(
  'holder_sign_in_guards',
  {
    idIndex: text('id_index').notNull(),
    phoneIndex: text('phone_index').notNull(),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('holder_sign_in_guards_pair').on(t.idIndex, t.phoneIndex)],
);

/** Holder (wallet) sessions, apart from staff sessions. Only the SM3 of the bearer token is stored. */
export const holderSessions = pgTable(
  'holder_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    holderId: uuid('holder_id')
      .notNull()
      .references(() => holders.id),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('holder_sessions_holder').on(t.holderId)],
);

/* ───────────────────────── verification (亮证与查验, R-6.5) ───────────────────────── */

/**
 * Every officer check of a scanned code (亮证 token or document QR), whatever its result, and
 * the officer's outcome (recognized or not, Appendix A item 4). `region_code` is the officer's
 * region (the enforcing side that recognized or not); the certificate's region and kind are
 * kept beside it when the code named a known certificate.
 */
export const verifications = pgTable(
  'verifications',
  {
    id: uuid('id').primaryKey(),
    officerId: uuid('officer_id').notNull(),
    regionCode: text('region_code').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    place: text('place'),
    /** token | document | unknown. */
    codeType: text('code_type').notNull(),
    /** valid | invalid. */
    result: text('result').notNull(),
    reason: text('reason'),
    identifier: text('identifier'),
    certificateRegionCode: text('certificate_region_code'),
    kindCode: text('kind_code'),
    recognized: boolean('recognized'),
    outcomeReason: text('outcome_reason'),
    outcomeAt: timestamp('outcome_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('verifications_region_at').on(t.regionCode, t.at),
    index('verifications_identifier').on(t.identifier),
  ],
);

/** Nonces of 亮证 tokens already verified: a token verifies once. Rows past expiry may be pruned. */
export const showTokenNonces = pgTable('show_token_nonces', {
  nonce: text('nonce').primaryKey(),
  identifier: text('identifier').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/** Uses of an e-certificate (shown, verified, shared, downloaded): feeds 激活率 (R-7.6, Appendix A item 2). */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    identifier: text('identifier').notNull(),
    regionCode: text('region_code').notNull(),
    kindCode: text('kind_code').notNull(),
    /** show | verify | share | download. */
    event: text('event').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    /** The row that tells more about the use: a `verifications` id (verify) or a `share_accesses` id (share). */
    refId: text('ref_id'),
  },
  (t) => [
    index('usage_events_identifier').on(t.identifier, t.at),
    index('usage_events_region_at').on(t.regionCode, t.at),
  ],
);

/* ───────────────────────── authorized sharing (授权用证, R-6.3) ───────────────────────── */

/**
 * A relying party's (用证方) authorization to read certificates: by the holder's consent
 * (`consent`: listed licences, by serial, so a new version of a licence stays covered while the
 * holder keeps it) or by an issuing/managing department for an official duty (`duty`, 依职能:
 * every certificate of the listed kinds in a region subtree, with the legal basis recorded).
 * Fields are face field keys (plus a few envelope fields, see services/sharing/fields.ts).
 */
export const shareGrants = pgTable(
  'share_grants',
  {
    id: uuid('id').primaryKey(),
    /** consent | duty. */
    basis: text('basis').notNull(),
    clientId: text('client_id').notNull(),
    /** The consenting holder (consent grants only). */
    holderId: uuid('holder_id').references(() => holders.id),
    /** Consent: the first certificate's region; duty: the region subtree the grant covers. */
    regionCode: text('region_code').notNull(),
    /** Consent: [{ serial, identifier }] as granted. */
    certificates: jsonb('certificates'),
    /** Duty: the kind codes covered. */
    kindCodes: jsonb('kind_codes'),
    fields: jsonb('fields').notNull(),
    purpose: text('purpose').notNull(),
    /** 法律依据 (duty grants only). */
    legalBasis: text('legal_basis'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true, mode: 'date' }),
    withdrawnBy: text('withdrawn_by'),
  },
  (t) => [
    index('share_grants_holder').on(t.holderId, t.createdAt),
    index('share_grants_region').on(t.regionCode, t.basis, t.createdAt),
  ],
);

/** One-time 用证码: one certificate (licence), single use, short-lived; only a keyed SM3 of the code is kept. */
export const shareCodes = pgTable(
  'share_codes',
  {
    id: uuid('id').primaryKey(),
    codeHash: text('code_hash').notNull(),
    holderId: uuid('holder_id')
      .notNull()
      .references(() => holders.id),
    serial: text('serial').notNull(),
    identifier: text('identifier').notNull(),
    regionCode: text('region_code').notNull(),
    kindCode: text('kind_code').notNull(),
    fields: jsonb('fields').notNull(),
    purpose: text('purpose'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
    usedBy: text('used_by'),
  },
  (t) => [
    uniqueIndex('share_codes_hash').on(t.codeHash),
    index('share_codes_holder').on(t.holderId, t.createdAt),
  ],
);

/**
 * Every read attempt by a relying party, granted or refused (the access log of ). A granted
 * read is also a `share` usage event pointing here. `requested_identifier` is what the caller
 * asked for; `identifier` the version answered (null when refused).
 */
export const shareAccesses = pgTable(
  'share_accesses',
  {
    id: uuid('id').primaryKey(),
    clientId: text('client_id').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    grantId: uuid('grant_id'),
    shareCodeId: uuid('share_code_id'),
    /** consent | duty | code. */
    basis: text('basis'),
    requestedIdentifier: text('requested_identifier').notNull(),
    identifier: text('identifier'),
    /** The certificate's region when it is known, else the client's. */
    regionCode: text('region_code').notNull(),
    kindCode: text('kind_code'),
    /** granted | refused. */
    outcome: text('outcome').notNull(),
    reason: text('reason'),
    fields: jsonb('fields'),
    purpose: text('purpose'),
  },
  (t) => [
    index('share_accesses_client_at').on(t.clientId, t.at),
    index('share_accesses_region_at').on(t.regionCode, t.at),
  ],
);

/** Raw bytes: Buffer in, Buffer out on both engines (PGlite hands back a Uint8Array). */
const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
});

/**
 * Rendered certificate documents (OFD, PDF), made on first download and served from here
 * afterwards: rendering is deterministic but for SM2 signature values, so the stored bytes
 * are the document, and its SM3 is the ETag. Keyed region first like every large table.
 */
export const certificateDocuments = pgTable(
  'certificate_documents',
  {
    regionCode: text('region_code').notNull(),
    identifier: text('identifier').notNull(),
    /** ofd | pdf. */
    format: text('format').notNull(),
    bytes: bytea('bytes').notNull(),
    sm3: text('sm3').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.regionCode, t.identifier, t.format] }),
    check('certificate_documents_format', sql`${t.format} in ('ofd', 'pdf')`),
  ],
);

/**
 * The GB/T 38540 SESeal (Seal.esl) of each seal key, made once by the province root (制章者)
 * on first use and then reused, so every document sealed by one key carries the same seal.
 */
export const documentSeals = pgTable('document_seals', {
  sealKeyId: text('seal_key_id').primaryKey(),
  seal: bytea('seal').notNull(),
  createdAt: createdAt(),
});
