import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { ensureWebBuild } from '../../scripts/build-web.ts';
import { repoRoot } from './server-process.ts';

/*
 * Real Chromium (Debian's /usr/bin/chromium, installed by .ci/run) driven by playwright-core.
 * Locally a missing Chromium skips the browser tests; in CI (CI=true) it fails them.
 */

export const chromiumPath = process.env.ROADCERT_CHROMIUM ?? '/usr/bin/chromium';
export const artifactsDir = path.join(repoRoot, 'test-artifacts', 'browser');

const baseArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A reason to skip (locally, without Chromium), or false. Throws in CI when Chromium is missing. */
export function browserSkip(): string | false {
  if (existsSync(chromiumPath)) return false;
  if (process.env.CI === 'true') throw new Error(`Chromium is required in CI but ${chromiumPath} is missing`);
  return `Chromium not installed at ${chromiumPath}`;
}

/** Builds web/dist when it is missing or older than its sources, so the server has pages to serve. */
export async function prepareWebPages(): Promise<void> {
  await ensureWebBuild({ quiet: true });
}

export interface LaunchOptions {
  /** A .y4m file Chromium plays as the camera. */
  fakeCamera?: string;
}

export async function launchBrowser(opts: LaunchOptions = {}): Promise<Browser> {
  const args = [...baseArgs];
  if (opts.fakeCamera) {
    args.push(
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${opts.fakeCamera}`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args });
}

/** A phone: 390×844 CSS pixels, touch, Chinese locale. */
export async function phoneContext(browser: Browser, base: string): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    baseURL: base,
  });
  await context.grantPermissions(['camera'], { origin: base });
  return context;
}

/** Collects what the page logs as errors (CSP violations included) so a test can assert none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/**
 * A Y4M video (I420) showing `png` centred on white, for Chromium's fake camera. Chromium loops
 * the file, so a few identical frames make a steady picture.
 */
export function y4mFromPng(png: Buffer, file: string, width = 640, height = 480): void {
  const image = PNG.sync.read(png);
  const scale = Math.min((height * 0.9) / image.height, (width * 0.9) / image.width);
  const w = Math.floor(image.width * scale);
  const h = Math.floor(image.height * scale);
  const x0 = Math.floor((width - w) / 2);
  const y0 = Math.floor((height - h) / 2);
  const luma = Buffer.alloc(width * height, 255);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.min(image.width - 1, Math.floor(x / scale));
      const sy = Math.min(image.height - 1, Math.floor(y / scale));
      const i = (sy * image.width + sx) * 4;
      const a = image.data[i + 3]! / 255;
      const gray = 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
      luma[(y0 + y) * width + x0 + x] = Math.round(gray * a + 255 * (1 - a));
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(file, Buffer.concat([header, frame, frame, frame]));
}
