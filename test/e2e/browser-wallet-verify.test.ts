import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import jsQRModule from 'jsqr';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { pageScriptGzipBytes } from '../../scripts/build-web.ts';
import { KINDS } from '../../src/domain/catalog/kinds.ts';
import { signRequest } from '../../src/services/clients/authenticate-client.ts';
import { planDemoProvince } from '../../src/services/demo/demo-province-plan.ts';
import {
  artifactsDir,
  browserSkip,
  collectPageErrors,
  launchBrowser,
  phoneContext,
  prepareWebPages,
  screenshot,
  y4mFromPng,
} from '../helpers/browser.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/engines.ts';
import { repoRoot, startServerProcess } from '../helpers/server-process.ts';

/*
 * The holder's wallet and the officer's verify page in real Chromium on a phone viewport,
 * against the real server in demo mode (PostgreSQL when it runs here): sign in with the code,
 * open a certificate, show the live QR; the officer scans it through Chromium's fake camera
 * (a Y4M made from the QR the wallet drew) and sees green, records "not recognized"; after an
 * intake revocation the same flow shows red; offline, the cached signed status list decides.
 * Screenshots go to test-artifacts/browser/.
 */

const skip = browserSkip();
const pgHere = !skip && (await postgresAvailable());
const jsQR = jsQRModule.default;

function tryDecodeQr(png: Uint8Array): string | null {
  const image = PNG.sync.read(Buffer.from(png));
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null;
}

function decodeQr(png: Buffer): string {
  const image = PNG.sync.read(png);
  const found = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  assert.ok(found, 'the QR the wallet draws decodes');
  return found.data;
}

describe('运证通 and 查验 pages in Chromium', { skip }, () => {
  let db: TestDatabase | null = null;
  let serverEnv: Record<string, string>;
  let dataDir: string;
  let server: ChildProcess;
  let base: string;
  let output: string;
  const browsers: Browser[] = [];
  let holder: { id: string; name: string; phone: string };
  let licence: { sourceRecordId: string; kind: string; regionCode: string; lastVersion: number };
  let inspectorPassword: string;
  let adminPassword: string;
  let client: { id: string; secret: string };
  let walletPage: Page;
  /** The QR printed on the certificate's OFD document, as a PNG picture and as text. */
  let documentQr: { png: Buffer; text: string } | null = null;
  const pageErrors: string[] = [];

  before(async () => {
    await prepareWebPages();
    dataDir = mkdtempSync(path.join(tmpdir(), 'roadcert-browser-'));
    const env: Record<string, string> = {
      ROADCERT_DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ROADCERT_KEK: '',
      ROADCERT_MODE: 'demo',
    };
    if (pgHere) {
      db = await createTestDatabase('postgres');
      env.DATABASE_URL = db.url!;
    }
    serverEnv = env;
    const started = await startServerProcess(env, 240_000);
    server = started.process;
    base = started.base.replace('localhost', '127.0.0.1');
    output = started.output();

    inspectorPassword = /^\s+dl-inspector\s+(\S+)\s+enforcement-officer/m.exec(output)![1]!;
    adminPassword = /^\s+admin\s+(\S+)\s+province-admin/m.exec(output)![1]!;
    const c = /clientId (\S+)\s+secret (\S+)/.exec(output)!;
    client = { id: c[1]!, secret: c[2]! };
    const h = /个人　(\S+)\s+(\S+)\s+手机 (\d{11})/.exec(output)!;
    holder = { id: h[1]!, name: h[2]!, phone: h[3]! };

    // The demo plan is deterministic: find one of this holder's licences in force, to revoke later.
    const plan = planDemoProvince();
    const inForce = ['plain', 'changed', 'renewed', 'converted', 'resumed'];
    const mine = plan.licences
      .filter((l) => l.holder.id === holder.id && inForce.includes(l.scenario))
      .sort((a, b) => inForce.indexOf(a.scenario) - inForce.indexOf(b.scenario));
    assert.ok(mine.length > 0, `no licence in force for demo holder ${holder.id}`);
    const chosen = mine[0]!;
    const versions = plan.records.filter((r) => r.sourceRecordId === chosen.sourceRecordId);
    licence = {
      sourceRecordId: chosen.sourceRecordId,
      kind: chosen.kind,
      regionCode: chosen.regionCode,
      lastVersion: Math.max(...versions.map((r) => Number(r.sourceVersion))),
    };
  });

  after(async () => {
    for (const b of browsers) await b.close().catch(() => {});
    server?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const kindName = () => KINDS.find((k) => k.code === licence.kind)!.name;

  /** The wallet's QR as the officer's camera would see it: a Y4M of the drawn canvas. */
  async function showCode(name: string): Promise<{ token: string; png: Buffer; camera: string }> {
    await walletPage.goto('/wallet/');
    await walletPage.getByTestId('certificate-card').filter({ hasText: kindName() }).first().click();
    await walletPage.getByRole('button', { name: /亮\s*证/ }).click();
    const qr = walletPage.getByTestId('show-qr');
    await qr.waitFor();
    await walletPage.getByTestId('show-countdown').getByText('秒后自动刷新').waitFor();
    await screenshot(walletPage, name);
    const png = await qr.screenshot();
    const token = decodeQr(png);
    const camera = path.join(dataDir, `${name}.y4m`);
    y4mFromPng(png, camera);
    return { token, png, camera };
  }

  async function officerPage(camera: string): Promise<Page> {
    const browser = await launchBrowser({ fakeCamera: camera });
    browsers.push(browser);
    const page = await (await phoneContext(browser, base)).newPage();
    pageErrors.push(...collectPageErrors(page));
    await page.goto('/verify/');
    await page.getByLabel('用户名').fill('dl-inspector');
    await page.getByLabel('密码').fill(inspectorPassword);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByTestId('status-list-age').getByText('状态列表：').waitFor();
    return page;
  }

  async function scanWithCamera(page: Page): Promise<void> {
    await page.getByRole('button', { name: /打开摄像头扫码/ }).click();
    await page.getByTestId('verdict').waitFor({ timeout: 30_000 });
  }

  async function staffToken(username: string, password: string): Promise<string> {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { token: string }).token;
  }

  async function notRecognizedTotal(): Promise<number> {
    const token = await staffToken('admin', adminPassword);
    const res = await fetch(`${base}/api/v1/stats/activation`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      rows: { notRecognized: number; regionCode: string; kind: string | null }[];
    };
    return body.rows.reduce((sum, r) => sum + r.notRecognized, 0);
  }

  test('the wallet page script stays under 300 KB gzip and carries no QR decoder or SM2 code', () => {
    const wallet = pageScriptGzipBytes('wallet');
    assert.ok(wallet.gzipBytes < 300 * 1024, `wallet JS is ${wallet.gzipBytes} bytes gzip`);
    const text = wallet.files.map((f) => readFileSync(path.join('web/dist', f), 'utf8')).join('\n');
    assert.doesNotMatch(text, /doVerifySignature|inversionAttempts/);
  });

  test('a holder signs in with the demo code, reads the inbox and shows a certificate as a live QR', async () => {
    const browser = await launchBrowser();
    browsers.push(browser);
    walletPage = await (await phoneContext(browser, base)).newPage();
    pageErrors.push(...collectPageErrors(walletPage));
    await walletPage.goto('/wallet/');
    await walletPage.getByLabel('证件号码').fill(holder.id);
    await walletPage.getByLabel('手机号码').fill(holder.phone);
    await walletPage.getByRole('button', { name: '获取验证码' }).click();
    const code = (await walletPage.getByTestId('demo-code').textContent())!;
    assert.match(code, /^\d{6}$/);
    await screenshot(walletPage, '01-wallet-sign-in');
    await walletPage.getByPlaceholder('6 位数字').fill(code);
    await walletPage.getByRole('button', { name: /登\s*录/ }).click();

    const cards = walletPage.getByTestId('certificate-card');
    await cards.first().waitFor();
    // The wallet shows the holder's own name masked, as the API gives it.
    await walletPage.getByText(`${holder.name[0]}**`).first().waitFor();
    assert.ok((await cards.count()) >= 1);
    await assertNotScrolledPastTop(walletPage);
    await screenshot(walletPage, '02-wallet-certificates');

    // Inbox: an unread message turns read once opened.
    await walletPage.getByRole('button', { name: /消息/ }).click();
    const first = walletPage.getByTestId('inbox-item').first();
    await first.waitFor();
    await screenshot(walletPage, '03-wallet-inbox');
    const unread = walletPage.locator('[data-testid="inbox-item"][data-read="false"]');
    const before = await unread.count();
    assert.ok(before >= 1, 'demo deliveries arrive unread');
    await unread.first().click();
    await walletPage.getByText('照面信息').waitFor();
    await walletPage
      .getByRole('button', { name: /消息/ })
      .click()
      .catch(() => {});
    await walletPage.goto('/wallet/inbox');
    await walletPage.getByTestId('inbox-item').first().waitFor();
    assert.equal(await unread.count(), before - 1);

    // Detail: Chinese labels for the face fields, the history, downloads.
    await walletPage.goto('/wallet/');
    await cards.filter({ hasText: kindName() }).first().click();
    await walletPage.getByText('照面信息').waitFor();
    await walletPage.getByText('历史版本').waitFor();
    await walletPage.getByRole('button', { name: /下载 PDF/ }).waitFor();
    const firstLabel = KINDS.find((k) => k.code === licence.kind)!.fields[0]!.label;
    await walletPage.getByText(firstLabel, { exact: false }).first().waitFor();
    await walletPage.screenshot({ path: path.join(artifactsDir, '04-wallet-detail.png'), fullPage: true });
    const [download] = await Promise.all([
      walletPage.waitForEvent('download'),
      walletPage.getByRole('button', { name: /下载 PDF/ }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.pdf$/);
    const pdf = readFileSync((await download.path())!);
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    // The OFD carries the document QR as a picture: kept for the officer's scan below.
    const [ofd] = await Promise.all([
      walletPage.waitForEvent('download'),
      walletPage.getByRole('button', { name: /下载 OFD/ }).click(),
    ]);
    assert.match(ofd.suggestedFilename(), /\.ofd$/);
    for (const [name, bytes] of Object.entries(unzipSync(readFileSync((await ofd.path())!)))) {
      if (!name.endsWith('.png')) continue;
      const text = tryDecodeQr(bytes);
      if (text?.startsWith('https://')) documentQr = { png: Buffer.from(bytes), text };
    }
    assert.ok(documentQr, 'the OFD holds a readable document QR');

    const shown = await showCode('05-wallet-show-qr');
    assert.match(shown.token, /^A[A-Za-z0-9_-]+$/);
    const size = PNG.sync.read(shown.png);
    assert.ok(size.width >= 300, `QR is drawn large (${size.width} px)`);
  });

  test('the officer scans the live QR with the camera: green, then records "not recognized"', async () => {
    const { camera } = await showCode('06-wallet-show-for-scan');
    const before = await notRecognizedTotal();
    const page = await officerPage(camera);
    await screenshot(page, '07-verify-ready');
    await scanWithCamera(page);
    const verdict = page.getByTestId('verdict');
    assert.equal(await verdict.getAttribute('data-result'), 'valid');
    assert.equal(await verdict.getAttribute('data-mode'), 'online');
    await page.getByText('查验通过').waitFor();
    await page.getByText(holder.name).first().waitFor();
    await screenshot(page, '08-verify-green');

    await page
      .getByRole('button', { name: /^不认可$/ })
      .or(page.getByRole('button', { name: /不\s*认\s*可/ }))
      .first()
      .click();
    await page.getByTestId('outcome-reason').fill('持证人与证照照片不符（浏览器测试）');
    await page.getByRole('button', { name: /提交不认可/ }).click();
    await page.getByTestId('outcome-recorded').waitFor();
    await screenshot(page, '09-verify-not-recognized');

    // The QR printed on the document, from a photo: checked online, green, with the face data.
    await page.getByRole('button', { name: /继续查验/ }).click();
    await page.getByRole('tab', { name: '图片' }).click();
    const photo = path.join(dataDir, 'document-qr.png');
    writeFileSync(photo, documentQr!.png);
    await page.locator('input[type="file"]').setInputFiles(photo);
    await page.getByTestId('verdict').waitFor();
    assert.equal(await page.getByTestId('verdict').getAttribute('data-result'), 'valid');
    await page.getByText(holder.name).first().waitFor();
    await screenshot(page, '09a-verify-document-qr');

    assert.equal(await notRecognizedTotal(), before + 1);

    // The holder sees the check and its outcome in the usage log (使用记录).
    await walletPage.goto('/wallet/usage');
    await walletPage
      .getByTestId('usage-item')
      .filter({ hasText: '查验' })
      .filter({ hasText: '不认可（持证人与证照照片不符' })
      .waitFor();
    await screenshot(walletPage, '09b-wallet-usage-log');
    await walletPage.goto('/wallet/grants');
    await walletPage.getByRole('button', { name: /授权用证方/ }).waitFor();
    await screenshot(walletPage, '09c-wallet-grants');
    if (db) {
      const c = new pg.Client({ connectionString: db.url! });
      await c.connect();
      try {
        const r = await c.query(
          `select result, recognized, outcome_reason, code_type from verifications
            where outcome_reason = '持证人与证照照片不符（浏览器测试）'`,
        );
        assert.equal(r.rowCount, 1);
        assert.deepEqual(r.rows[0], {
          result: 'valid',
          recognized: false,
          outcome_reason: '持证人与证照照片不符（浏览器测试）',
          code_type: 'token',
        });
      } finally {
        await c.end();
      }
    }
  });

  test('after an intake revocation the same flow shows red, online and offline', async () => {
    const body = JSON.stringify({
      records: [
        {
          kind: licence.kind,
          regionCode: licence.regionCode,
          sourceRecordId: licence.sourceRecordId,
          sourceVersion: licence.lastVersion + 1,
          event: 'revoke',
          reason: '经营者申请注销',
        },
      ],
    });
    const timestamp = new Date().toISOString();
    const pushed = await fetch(`${base}/api/v1/intake/records`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-client-id': client.id,
        'x-timestamp': timestamp,
        'x-signature': signRequest(client.secret, timestamp, body),
      },
      body,
    });
    assert.equal(pushed.status, 200, await pushed.clone().text());
    const outcome = (await pushed.json()) as { results: { status: string }[] };
    assert.notEqual(outcome.results[0]!.status, 'rejected', JSON.stringify(outcome));

    await walletPage.goto('/wallet/');
    await walletPage
      .getByTestId('certificate-card')
      .filter({ hasText: kindName() })
      .first()
      .getByText('已注销')
      .waitFor();
    await screenshot(walletPage, '10-wallet-revoked');

    const { camera } = await showCode('11-wallet-show-revoked');
    const page = await officerPage(camera);
    await scanWithCamera(page);
    assert.equal(await page.getByTestId('verdict').getAttribute('data-result'), 'invalid');
    await page.getByTestId('verdict-message').getByText('该电子证照已注销').waitFor();
    await screenshot(page, '12-verify-red');

    // Offline: the page decides with the signed status list it cached at sign-in.
    await page.getByRole('button', { name: /继续查验/ }).click();
    await page.getByTestId('offline-switch').click();
    await page.getByTestId('network-state').getByText('离线').waitFor();
    const fresh = await showCode('13-wallet-show-for-offline');
    await page.getByRole('tab', { name: '图片' }).click();
    const file = path.join(dataDir, 'offline-qr.png');
    writeFileSync(file, fresh.png);
    await page.locator('input[type="file"]').setInputFiles(file);
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor();
    assert.equal(await verdict.getAttribute('data-mode'), 'offline');
    assert.equal(await verdict.getAttribute('data-result'), 'invalid');
    await page.getByTestId('verdict-message').getByText('该电子证照已注销').waitFor();
    const note = (await page.getByTestId('offline-note').textContent())!;
    assert.match(note, /离线查验，状态截至 \d{4}\/\d{1,2}\/\d{1,2} [\d:]+（(不到 1 分钟|\d+ 分钟)前）/);
    await page.getByTestId('queue').getByText('待上传 1').waitFor();
    await screenshot(page, '14-verify-offline-red');

    // Back online: the queued check uploads and the platform records it.
    await page.getByRole('button', { name: /继续查验/ }).click();
    await page.getByTestId('offline-switch').click();
    await page.getByText('已上传 1 条离线查验记录').waitFor();
    assert.equal(await page.getByTestId('queue').count(), 0);
    await screenshot(page, '15-verify-back-online');
    if (db) {
      const c = new pg.Client({ connectionString: db.url! });
      await c.connect();
      try {
        const r = await c.query(
          `select v.result, v.reason from verifications v
             join audit_log a on a.target_id = v.identifier and a.details->>'verificationId' = v.id::text
            where a.details->>'offline' = 'true'`,
        );
        assert.deepEqual(r.rows, [{ result: 'invalid', reason: 'REVOKED' }]);
      } finally {
        await c.end();
      }
    }
  });

  test('the holder grants a relying party two fields of a certificate, then withdraws it', {
    skip: pgHere ? false : 'needs PostgreSQL: the CLI registers the relying party beside the running server',
  }, async () => {
    const cli = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'roadcert.mjs'),
        'client',
        'create',
        '--name',
        '辽宁省道路运输协会',
        '--region',
        '210000',
        '--kind',
        'relying',
        '--json',
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, ...serverEnv, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    assert.equal(cli.status, 0, cli.stderr);

    await walletPage.goto('/wallet/grants');
    await walletPage
      .getByRole('button', { name: /授权用证方/ })
      .click({ timeout: 15_000 })
      .catch(async (e: unknown) => {
        await screenshot(walletPage, 'fail-16-wallet-grants');
        throw e;
      });
    const dialog = walletPage.getByRole('dialog');
    await dialog.getByLabel('用证方', { exact: true }).click();
    await walletPage.locator('.ant-select-item-option').filter({ hasText: '辽宁省道路运输协会' }).click();
    await dialog.getByLabel('证照', { exact: true }).click();
    await walletPage.locator('.ant-select-item-option').filter({ hasText: '从业资格证' }).first().click();
    const boxes = dialog.getByRole('checkbox');
    await boxes.first().waitFor();
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await dialog.getByLabel('用途').fill('办理货运从业资格核验');
    await screenshot(walletPage, '16-wallet-new-grant');
    await dialog.getByRole('button', { name: /确认授权/ }).click();
    const grant = walletPage.getByTestId('grant').filter({ hasText: '辽宁省道路运输协会' });
    await grant.getByText('生效中').waitFor();
    assert.match((await grant.textContent())!, /用途：办理货运从业资格核验/);
    await screenshot(walletPage, '17-wallet-grant-active');
    await grant.getByRole('button', { name: /撤回授权/ }).click();
    await walletPage
      .locator('.ant-popconfirm')
      .getByRole('button', { name: /撤\s*回/ })
      .click();
    await grant.getByText('已撤回').waitFor();
    await screenshot(walletPage, '18-wallet-grant-withdrawn');
  });

  test('no page broke the content security policy or threw', () => {
    const bad = pageErrors.filter((e) => /Content Security Policy|pageerror/.test(e));
    assert.deepEqual(bad, []);
  });
});

async function assertNotScrolledPastTop(page: Page): Promise<void> {
  assert.equal(await page.evaluate('window.scrollY'), 0);
}
