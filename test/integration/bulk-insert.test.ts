import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import canonicalize from 'canonicalize';
import { sql } from 'drizzle-orm';
import { sm3Hex } from '../../src/crypto/sm3.ts';
import { KINDS } from '../../src/domain/catalog/kinds.ts';
import { sampleRecord } from '../../src/domain/rules/samples.ts';
import { openIntakeContext } from '../../src/services/intake/context.ts';
import { submitRecords } from '../../src/services/intake/submit-records.ts';
import { copyText, insertRows } from '../../src/store/bulk-insert.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { skipWithoutOpenssl } from '../unit/crypto/openssl-cli.ts';

const COLUMNS = {
  t: 'text',
  n: 'integer',
  b: 'bigint',
  at: 'timestamptz',
  j: 'jsonb',
  u: 'uuid',
} as const;

/** Text that COPY's format would misread unless escaped, and values that must stay NULL or not. */
const ROWS = [
  {
    t: 'tab\there\nnew line\r\\back\\slash \\N 道路',
    n: -7,
    b: 9007199254740991,
    at: new Date('2026-03-01T08:00:00.123Z'),
    j: { s: 'a\tb\nc\\d"e', list: [1, null, '\\N'], 中文: '证照' },
    u: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
  },
  { t: '\\N', n: 0, b: 0, at: '2026-03-01T08:00:00+08:00', j: 'just a string', u: null },
  { t: '', n: null, b: null, at: null, j: null, u: undefined },
];

for (const engine of await engines()) {
  describe(`bulk insert [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    const readBack = async () =>
      t.db.store.query<Record<string, unknown>>(
        sql`select t, n, b::text as b, at, j, u::text as u from bulk_insert_probe order by ord`,
      );

    test('rows with tabs, newlines, backslashes, \\N, JSON and NULLs come back exactly', async () => {
      await t.db.store.query(
        sql`create table bulk_insert_probe (ord serial, t text, n integer, b bigint, at timestamptz, j jsonb, u uuid)`,
      );
      // In a transaction (COPY on PostgreSQL) and outside one (JSON parameter).
      await t.db.store.db.transaction((tx) => insertRows(tx, 'bulk_insert_probe', COLUMNS, ROWS));
      await insertRows(t.db.store.db, 'bulk_insert_probe', COLUMNS, ROWS);
      const rows = await readBack();
      assert.equal(rows.length, 6);
      for (const [k, row] of rows.entries()) {
        const want = ROWS[k % 3]!;
        assert.equal(row.t, want.t);
        assert.equal(row.n, want.n);
        assert.equal(row.b, want.b === null ? null : String(want.b));
        assert.equal(
          row.at === null ? null : new Date(row.at as string).toISOString(),
          want.at === null ? null : new Date(want.at).toISOString(),
        );
        const j = typeof row.j === 'string' && want.j !== 'just a string' ? JSON.parse(row.j) : row.j;
        assert.deepEqual(j, want.j);
        assert.equal(row.u, want.u ?? null);
      }
    });

    test('a failing bulk insert rolls its transaction back and leaves the connection usable', async () => {
      await assert.rejects(
        t.db.store.db.transaction(async (tx) => {
          await insertRows(tx, 'bulk_insert_probe', COLUMNS, [ROWS[0]!]);
          // Not a uuid: the server refuses the row, and with it the statement.
          await insertRows(tx, 'bulk_insert_probe', COLUMNS, [{ ...ROWS[1]!, u: 'not-a-uuid' }]);
        }),
        /uuid/,
      );
      assert.equal((await readBack()).length, 6);
      await t.db.store.db.transaction((tx) => insertRows(tx, 'bulk_insert_probe', COLUMNS, [ROWS[2]!]));
      assert.equal((await readBack()).length, 7);
    });

    test('bulk-issued certificates: canonical signed bytes, their SM3 digest and a signature openssl verifies', {
      skip: skipWithoutOpenssl,
    }, async () => {
      const ctx = await openIntakeContext(t.ctx, t.keyring);
      const source = { clientId: 'bulk-seal-test', regionCode: '210000', actor: t.cliActor };
      const records = Array.from({ length: 40 }, (_, i) => ({
        ...sampleRecord(KINDS[i % KINDS.length]!.code, {}, { index: 7000 + i, regionCode: '210102' }),
        sourceRecordId: `SEAL-${i}`,
        sourceVersion: 1,
        event: 'issue',
      }));
      const results = await submitRecords(ctx, source, records, { bulk: true, chunkSize: 20 });
      assert.ok(results.every((r) => r.status === 'issued'));
      const rows = await t.db.store.query<{
        signed_data_enc: string;
        signed_data_digest: string;
        signature: string;
      }>(
        sql`select signed_data_enc, signed_data_digest, signature from certificates where source_record_id like 'SEAL-%' order by identifier`,
      );
      assert.equal(rows.length, 40);
      const dir = mkdtempSync(path.join(tmpdir(), 'roadcert-bulk-seal-'));
      try {
        const trust = (await t.app.inject({ url: '/api/v1/trust' })).json() as { sealCertificate: string };
        writeFileSync(path.join(dir, 'seal.pem'), trust.sealCertificate);
        execFileSync('openssl', ['x509', '-in', 'seal.pem', '-noout', '-pubkey', '-out', 'pub.pem'], {
          cwd: dir,
        });
        for (const [i, row] of rows.entries()) {
          const signedData = t.vault.open('certificate.signed_data', row.signed_data_enc);
          assert.equal(canonicalize(JSON.parse(signedData)), signedData);
          assert.equal(sm3Hex(Buffer.from(signedData, 'utf8')), row.signed_data_digest);
          if (i % 13 !== 0) continue;
          writeFileSync(path.join(dir, 'data'), signedData);
          writeFileSync(path.join(dir, 'sig'), Buffer.from(row.signature, 'base64'));
          const out = execFileSync(
            'openssl',
            [
              'dgst',
              '-sm3',
              '-verify',
              'pub.pem',
              '-sigopt',
              'distid:1234567812345678',
              '-signature',
              'sig',
              'data',
            ],
            { cwd: dir, encoding: 'utf8' },
          );
          assert.match(out, /Verified OK/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('COPY text format', () => {
  test('escapes the four special characters, writes \\N for null and one line per row', () => {
    const text = copyText(['t', 'n', 'j'], { t: 'text', n: 'integer', j: 'jsonb' }, [
      { t: 'a\tb\nc\rd\\e', n: 1, j: { k: 'x\ty' } },
      { t: '\\N', n: null, j: null },
    ]).toString('utf8');
    assert.equal(text, 'a\\tb\\nc\\rd\\\\e\t1\t{"k":"x\\\\ty"}\n\\\\N\t\\N\t\\N\n');
  });
});
