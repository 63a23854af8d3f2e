/** Fast draft in a browser: the toggle on the Generate form queues a 4-step LCM job with the LCM-LoRA and it finishes. */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientIfStale, clientDistDir } from '../../client/build-if-stale.mjs';
import { forgeLcmLora } from '../../server/engine/forge/lcm-lora.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const UI_TIMEOUT = 30_000;

let server: TestServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  buildClientIfStale({ quiet: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startTestServer({ clientDistDir, config: { generation: { steps: 12, width: 64, height: 64 } } });
  forgeLcmLora(path.join(server.config.lora.directory, 'lcm-lora-sdv1-5.safetensors'), { architecture: 'tiny' });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.skipIf(!existsSync(CHROMIUM))('fast draft in a browser', () => {
  it('toggling Fast draft runs 4 steps and the job shows the preset', async () => {
    await page.goto(`${server.url}/#/generate`);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: UI_TIMEOUT });
    await page.getByLabel('Prompt', { exact: true }).fill('a queen of hearts, ink drawing');
    await page.getByTestId('fast-draft').check();
    expect(await page.getByLabel('Steps').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Generate' }).click();

    const card = page.getByTestId('job-progress');
    await card.and(page.locator('[data-status="SUCCEEDED"]')).waitFor({ timeout: UI_TIMEOUT });
    const bar = card.getByRole('progressbar');
    expect(await bar.getAttribute('aria-valuemax')).toBe('4');
    expect(await bar.getAttribute('aria-valuenow')).toBe('4');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'fast-draft.png'), fullPage: true });

    await page.goto(`${server.url}/#/jobs`);
    const row = page.getByTestId('job-row').first();
    await row.getByTestId('job-preset').filter({ hasText: 'Fast draft' }).waitFor({ timeout: UI_TIMEOUT });
    await expect(row.textContent()).resolves.toContain('4 steps lcm');
  });
});
