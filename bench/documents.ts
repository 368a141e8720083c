/**
 * Certificate documents (issue #4 "Measured"): on a fresh PostgreSQL database holding
 * BENCH_DOCUMENTS_N (default 270) certificates of all nine kinds issued through the intake
 * service, measures
 *
 * - documents per second, OFD and PDF separately: cold (rendered and stored in
 *   certificate_documents by getCertificateDocument, the download path) and cached (served from
 *   certificate_documents by the same call);
 * - document verifications per second: offline (verifyDocument: digests, SES signature, seal
 *   chain to the root, metadata against the embedded signed data) and online with the status
 *   from the store (verifyCertificateDocument, as behind POST /api/v1/documents/verify);
 * - the QR payload (bytes, QR text length, version, printed size), the embedded font sizes and
 *   the document sizes.
 *
 * Baseline in the same run: `openssl speed sm2` sign rate, so that figures read as "one document
 * costs as much as k SM2 signatures". Every rate is the median of ROUNDS rounds; the whole bench
 * stays well under two minutes (BENCH_DOCUMENTS_COLD, default 12, documents per cold round).
 *
 *   npm run bench -- documents        (or: node --import tsx bench/documents.ts)
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { unpackOfd } from '../src/documents/ofd/package.ts';
import { decodeQrPayload } from '../src/documents/qr/payload.ts';
import { qrSymbolInfo } from '../src/documents/qr/qr-image.ts';
import type { DocumentFormat } from '../src/documents/render.ts';
import { KINDS } from '../src/domain/catalog/kinds.ts';
import { sampleRecord } from '../src/domain/rules/samples.ts';
import { ensureCatalog } from '../src/services/catalog/catalog-versions.ts';
import { type Actor, systemClock } from '../src/services/context.ts';
import { getCertificateDocument } from '../src/services/documents/get-certificate-document.ts';
import { renderCertificateDocument } from '../src/services/documents/render-certificate-document.ts';
import { verifyCertificateDocument, verifyDocument } from '../src/services/documents/verify-document.ts';
import { openIntakeContext } from '../src/services/intake/context.ts';
import { submitRecords } from '../src/services/intake/submit-records.ts';
import { initProvinceKeys } from '../src/services/keys/init-keys.ts';
import { Keyring } from '../src/services/keys/keyring.ts';
import { PiiVault } from '../src/services/pii.ts';
import { migrate, openStore } from '../src/store/db.ts';
import { certificates } from '../src/store/schema.ts';
import { opensslSpeed } from './sm2.ts';

const ADMIN_URL = process.env.ROADCERT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = 3;
const FORMATS: readonly DocumentFormat[] = ['ofd', 'pdf'];
/** Length of a round of the fast operations (cached downloads, verifications). */
const ROUND_MS = 1000;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Operations per second of `op` over `ROUND_MS`, median of ROUNDS rounds (after a short warm-up). */
async function rate(op: (i: number) => Promise<unknown>): Promise<number> {
  let i = 0;
  for (let w = 0; w < 3; w++) await op(i++);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < ROUND_MS) {
      await op(i++);
      count++;
    }
    rates.push((count * 1000) / (performance.now() - start));
  }
  return median(rates);
}

export async function run(): Promise<Record<string, number>> {
  const n = Number(process.env.BENCH_DOCUMENTS_N ?? 270);
  const perColdRound = Number(process.env.BENCH_DOCUMENTS_COLD ?? 12);
  const warmUp = 3;
  if (n < warmUp + ROUNDS * perColdRound) {
    throw new Error(`BENCH_DOCUMENTS_N must be at least ${warmUp + ROUNDS * perColdRound}`);
  }
  const speed = opensslSpeed();
  if (!speed) throw new Error('openssl speed sm2 failed: the baseline cannot be measured');

  const name = `roadcert_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const store = await openStore({ kind: 'postgres', url: url.toString(), poolSize: 8 });
  try {
    const benchStart = performance.now();
    await migrate(store);
    await ensureCatalog(store.db);
    const config = loadConfig({
      ROADCERT_KEK: randomBytes(16).toString('hex'),
      ROADCERT_MODE: 'demo',
      ROADCERT_DATA_DIR: '/tmp/roadcert-bench',
    });
    const vault = new PiiVault(config.kek);
    const ctx = { db: store.db, config, clock: systemClock, vault, requestId: 'bench' };
    const actor: Actor = { type: 'cli', id: 'bench', regionCode: config.province.code };
    await initProvinceKeys(ctx, actor, { force: false });
    const keyring = await Keyring.load(store.db, config);
    const intake = await openIntakeContext(ctx, keyring);
    const regions = ['210102', '210103', '210202', '210203', '210302', '210402', '210502', '210602'];
    const records = Array.from({ length: n }, (_, i) => ({
      ...sampleRecord(
        KINDS[i % KINDS.length]!.code,
        {},
        { index: i, regionCode: regions[i % regions.length]! },
      ),
      sourceRecordId: `DOC-BENCH-${i}`,
      sourceVersion: 1,
      event: 'issue',
    }));
    const results = await submitRecords(
      intake,
      { clientId: 'bench', regionCode: config.province.code, actor },
      records,
      { concurrency: 8, bulk: true },
    );
    const identifiers = results.flatMap((r) => (r.status === 'issued' && r.identifier ? [r.identifier] : []));
    if (identifiers.length !== n) throw new Error(`only ${identifiers.length} of ${n} records were issued`);
    const deps = { keyring };
    const download = (identifier: string, format: DocumentFormat) =>
      getCertificateDocument(ctx, deps, actor, identifier, format);

    // Cold: each document rendered and stored once. Rounds alternate formats so that a burst of
    // load on the shared machine does not fall on one format only.
    const documents: Record<DocumentFormat, Buffer[]> = { ofd: [], pdf: [] };
    let next = 0;
    for (const format of FORMATS) {
      for (let w = 0; w < warmUp; w++) await download(identifiers[w]!, format);
    }
    next = warmUp;
    const coldRates: Record<DocumentFormat, number[]> = { ofd: [], pdf: [] };
    const coldCpuMs: Record<DocumentFormat, number[]> = { ofd: [], pdf: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const batch = identifiers.slice(next, next + perColdRound);
      next += perColdRound;
      for (const format of FORMATS) {
        const cpu = process.cpuUsage();
        const start = performance.now();
        for (const identifier of batch) {
          const doc = await download(identifier, format);
          if (!doc.rendered) throw new Error(`${identifier} ${format} was not rendered cold`);
          documents[format].push(doc.bytes);
        }
        const used = process.cpuUsage(cpu);
        coldRates[format].push((batch.length * 1000) / (performance.now() - start));
        coldCpuMs[format].push((used.user + used.system) / 1000 / batch.length);
      }
    }

    // Cached: the documents rendered above, served from certificate_documents.
    const rendered = identifiers.slice(0, next);
    const cached: Record<string, number> = {};
    for (const format of FORMATS) {
      cached[format] = await rate(async (i) => {
        const doc = await download(rendered[i % rendered.length]!, format);
        if (doc.rendered) throw new Error('a cached document was rendered again');
      });
    }

    // Verification, offline (the document alone against the published root) and online (status).
    const trust = keyring.requireTrust();
    const offline: Record<string, number> = {};
    const online: Record<string, number> = {};
    for (const format of FORMATS) {
      const docs = documents[format];
      offline[format] = await rate(async (i) => {
        const verdict = await verifyDocument(docs[i % docs.length]!, { trust, status: 'offline' });
        if (verdict.outcome !== 'status_unknown') throw new Error(`offline ${format}: ${verdict.outcome}`);
      });
      online[format] = await rate(async (i) => {
        const verdict = await verifyCertificateDocument(ctx, keyring, null, docs[i % docs.length]!);
        if (verdict.outcome !== 'valid') throw new Error(`online ${format}: ${verdict.outcome}`);
      });
    }

    // The QR on the page, per kind (payloads differ only by identifier; the sizes are the same).
    const qrTexts: string[] = [];
    for (const identifier of identifiers.slice(0, KINDS.length)) {
      const [row] = await store.db.select().from(certificates).where(eq(certificates.identifier, identifier));
      qrTexts.push((await renderCertificateDocument(ctx, keyring, row!, 'pdf')).qr.text);
    }
    const qr = qrTexts.map((text) => {
      const decoded = decodeQrPayload(text);
      if (!decoded.ok) throw new Error(`QR payload does not decode: ${decoded.message}`);
      return { bytes: decoded.payload.bytes.length, text: text.length, symbol: qrSymbolInfo(text) };
    });
    const fontBytes = documents.ofd.map((ofd) => {
      // The renderer embeds Regular first, then Bold (font_3, font_4).
      const files = unpackOfd(ofd);
      const [regular, bold] = [...files.keys()].filter((p) => p.startsWith('Doc_0/Res/font_')).sort();
      return { regular: files.get(regular!)!.length, bold: files.get(bold!)!.length };
    });
    const size = (docs: Buffer[]) => median(docs.map((d) => d.length));

    const result: Record<string, number> = {
      certificates: n,
      opensslSignPerSecond: Math.round(speed.sign),
      ofdColdPerSecond: round1(median(coldRates.ofd)),
      pdfColdPerSecond: round1(median(coldRates.pdf)),
      ofdColdCpuMs: round1(median(coldCpuMs.ofd)),
      pdfColdCpuMs: round1(median(coldCpuMs.pdf)),
      ofdCachedPerSecond: Math.round(cached.ofd!),
      pdfCachedPerSecond: Math.round(cached.pdf!),
      ofdVerifyOfflinePerSecond: Math.round(offline.ofd!),
      pdfVerifyOfflinePerSecond: Math.round(offline.pdf!),
      ofdVerifyOnlinePerSecond: Math.round(online.ofd!),
      pdfVerifyOnlinePerSecond: Math.round(online.pdf!),
      qrPayloadBytes: Math.max(...qr.map((q) => q.bytes)),
      qrTextLength: Math.max(...qr.map((q) => q.text)),
      qrVersion: Math.max(...qr.map((q) => q.symbol.version)),
      qrModules: Math.max(...qr.map((q) => q.symbol.modules)),
      fontRegularBytes: median(fontBytes.map((f) => f.regular)),
      fontBoldBytes: median(fontBytes.map((f) => f.bold)),
      ofdBytes: size(documents.ofd),
      pdfBytes: size(documents.pdf),
      seconds: Math.round((performance.now() - benchStart) / 1000),
    };
    print(result, perColdRound);
    return result;
  } finally {
    await store.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function print(r: Record<string, number>, perColdRound: number): void {
  const sign = r.opensslSignPerSecond!;
  // How many openssl SM2 signatures one operation costs, at the same run's rate.
  const signs = (perSecond: number) => (sign / perSecond).toFixed(perSecond > sign / 10 ? 2 : 1);
  const line = (what: string, ofd: number, pdf: number) =>
    console.log(
      `  ${what.padEnd(34)} OFD ${String(ofd).padStart(7)}/s (${signs(ofd).padStart(5)} signs)   ` +
        `PDF ${String(pdf).padStart(7)}/s (${signs(pdf).padStart(5)} signs)`,
    );
  console.log(
    `documents of ${r.certificates} certificates (9 kinds) in PostgreSQL; medians of ${ROUNDS} rounds; ` +
      `baseline openssl speed sm2: ${sign} signs/s (cost in brackets = openssl SM2 signatures per operation)`,
  );
  line(`cold: render + store (${perColdRound}/round)`, r.ofdColdPerSecond!, r.pdfColdPerSecond!);
  console.log(
    `  ${''.padEnd(34)} CPU of this process: OFD ${r.ofdColdCpuMs} ms, PDF ${r.pdfColdCpuMs} ms per document`,
  );
  line('cached: from certificate_documents', r.ofdCachedPerSecond!, r.pdfCachedPerSecond!);
  line('verify offline (document + root)', r.ofdVerifyOfflinePerSecond!, r.pdfVerifyOfflinePerSecond!);
  line('verify online (+ status, usage log)', r.ofdVerifyOnlinePerSecond!, r.pdfVerifyOnlinePerSecond!);
  console.log(
    `  QR payload ${r.qrPayloadBytes} bytes → QR text ${r.qrTextLength} characters; version ${r.qrVersion} ` +
      `(${r.qrModules}×${r.qrModules} modules, level M; ${(r.qrModules! + 8) * 0.5} mm printed at 0.5 mm/module)`,
  );
  console.log(
    `  embedded font subsets (median): regular ${kb(r.fontRegularBytes!)}, bold ${kb(r.fontBoldBytes!)}; ` +
      `documents (median): OFD ${kb(r.ofdBytes!)}, PDF ${kb(r.pdfBytes!)}; whole bench ${r.seconds} s`,
  );
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
