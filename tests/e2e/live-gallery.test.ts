/**
 * The built client in headless Chromium against a real server on the tiny forged model: each test drives the UI
 * the way a person would and checks what the page shows. Screenshots land in tests/e2e/screenshots/.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { chromium, type Browser, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildClientIfStale, clientDistDir } from '../../client/build-if-stale.mjs';
import { startTestServer, waitUntil, type TestServer } from '../helpers/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const SHIPPED_SETS = fileURLToPath(new URL('../../sets', import.meta.url));
const UI_TIMEOUT = 30_000;

let server: TestServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function screenshot(name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function open(hash: string) {
  await page.goto(`${server.url}/${hash}`);
  await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: UI_TIMEOUT });
}

beforeAll(async () => {
  buildClientIfStale({ quiet: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startTestServer({ clientDistDir, config: { generation: { steps: 2, width: 64, height: 64 } } });
  cpSync(SHIPPED_SETS, server.config.sets.directory, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeEach(async () => {
  await page?.close();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

describe.skipIf(!existsSync(CHROMIUM))('live gallery in a browser', () => {
  it('generates one image: the progress bar reaches the last step and the image appears with its seed', async () => {
    await open('#/generate');
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse on a cliff, oil painting');
    // CLIP reads "a lighthouse on a cliff , oil painting" as 8 tokens (the server's tokenizer, once typing pauses).
    await page.locator('[data-testid="token-counter"][data-exact="true"]').first().filter({ hasText: '8/75 tokens' }).waitFor({ timeout: UI_TIMEOUT });
    await page.getByLabel('Width').fill('64');
    await page.getByLabel('Height').fill('64');
    await page.getByLabel('Steps').fill('6');
    await page.getByLabel('Random').uncheck();
    await page.getByLabel('Seed', { exact: true }).fill('12345');
    // Every value the progress bar shows, in order, from its first render to the end.
    await page.evaluate(() => {
      const seen: number[] = ((window as unknown as { progressSeen: number[] }).progressSeen = []);
      const record = () => {
        const bar = document.querySelector('[role="progressbar"][aria-label="Generation progress"]');
        const value = Number(bar?.getAttribute('aria-valuenow'));
        if (bar && seen.at(-1) !== value) seen.push(value);
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    await page.getByRole('button', { name: 'Generate' }).click();

    const card = page.getByTestId('job-progress');
    await card.and(page.locator('[data-status="SUCCEEDED"]')).waitFor({ timeout: UI_TIMEOUT });
    const bar = card.getByRole('progressbar');
    expect(await bar.getAttribute('aria-valuemax')).toBe('6');
    expect(await bar.getAttribute('aria-valuenow')).toBe('6');
    await expect(card.getByTestId('progress-text').textContent()).resolves.toContain('step 6/6');
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(seen.at(-1)).toBe(6);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const image = card.getByTestId('result-image');
    await image.waitFor();
    await waitUntil(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 64), 'result image loaded');
    await expect(page.getByTestId('result-seed').textContent()).resolves.toBe('12345');
    await screenshot('generate');
  });

  it('warns when the prompt is past 75 tokens', async () => {
    await open('#/generate');
    await page.getByLabel('Prompt', { exact: true }).fill(Array.from({ length: 90 }, (_, i) => `word${i}`).join(' '));
    await expect(page.getByTestId('token-counter').first().textContent()).resolves.toContain('cut off');
  });

  it('starts a zodiac batch of 3 and the gallery fills in live', async () => {
    await open('#/sets');
    await page.getByTestId('set-zodiac').click();
    await page.getByLabel('Theme').fill('art nouveau');
    await page.getByTestId('first-prompt').filter({ hasText: 'art nouveau' }).waitFor({ timeout: UI_TIMEOUT });
    await page.getByLabel(/^Items/).fill('3');
    await page.getByLabel(/^Seed/).fill('100');
    await screenshot('sets');
    await page.getByRole('button', { name: 'Start batch' }).click();

    await page.waitForURL(/#\/gallery\/.+/, { timeout: UI_TIMEOUT });
    const urlAtStart = page.url();
    await page.getByTestId('gallery-image').nth(2).waitFor({ timeout: UI_TIMEOUT });
    expect(await page.getByTestId('gallery-image').count()).toBe(3);
    expect(page.url()).toBe(urlAtStart);
    await page.getByTestId('batch-counts').filter({ hasText: '3/3 images' }).waitFor({ timeout: UI_TIMEOUT });
    await screenshot('gallery-batch');

    await page.getByRole('link', { name: '← All batches' }).click();
    await page.getByTestId('batch-card').first().waitFor();
    await screenshot('gallery');
  });

  it('opens the lightbox, reads the seed, moves with the arrow keys and closes with Escape', async () => {
    await open('#/gallery');
    await page.getByTestId('batch-card').first().click();
    await page.getByTestId('gallery-image').nth(2).waitFor({ timeout: UI_TIMEOUT });
    await page.getByTestId('gallery-image').first().click();

    const lightbox = page.getByTestId('lightbox');
    await lightbox.waitFor();
    const firstSeed = await lightbox.getByTestId('meta-seed').textContent();
    expect(['100', '101', '102']).toContain(firstSeed);
    await expect(lightbox.textContent()).resolves.toContain('art nouveau');
    await screenshot('lightbox');

    await page.keyboard.press('ArrowRight');
    await expect.poll(() => lightbox.getByTestId('meta-seed').textContent()).not.toBe(firstSeed);
    await page.keyboard.press('Escape');
    await expect.poll(() => lightbox.isVisible()).toBe(false);
  });

  it('"use these settings" carries an image\'s settings back into Generate', async () => {
    await open('#/gallery');
    await page.getByTestId('batch-card').first().click();
    await page.getByTestId('gallery-image').first().click();
    const seed = await page.getByTestId('meta-seed').textContent();
    await page.getByRole('button', { name: 'Use these settings' }).click();
    await page.waitForURL(/#\/generate$/);
    await expect.poll(() => page.getByLabel('Seed', { exact: true }).inputValue()).toBe(seed);
    await expect(page.getByLabel('Prompt', { exact: true }).inputValue()).resolves.toContain('art nouveau');
  });

  it('cancels a queued job from the Jobs table', async () => {
    // A long job keeps the single worker busy so the next one stays queued.
    const blocker = await server.gql<{ generate: { jobs: { id: string }[] } }>(
      'mutation { generate(input: { prompt: "blocker", steps: 150, width: 256, height: 256 }) { jobs { id } } }',
    );
    const queued = await server.gql<{ generate: { jobs: { id: string }[] } }>('mutation { generate(input: { prompt: "to be cancelled" }) { jobs { id } } }');
    const blockerId = blocker.data!.generate.jobs[0].id;
    const queuedId = queued.data!.generate.jobs[0].id;

    await open('#/jobs');
    const row = page.locator(`[data-job-id="${queuedId}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT });
    expect(await row.getAttribute('data-status')).toBe('QUEUED');
    await page.locator(`[data-job-id="${blockerId}"][data-status="RUNNING"]`).waitFor({ timeout: UI_TIMEOUT });
    await page.getByTestId('queue-counts').filter({ hasText: '1 running · 1 queued' }).waitFor({ timeout: UI_TIMEOUT });
    await screenshot('jobs');
    await row.getByRole('button', { name: /^Cancel/ }).click();
    await page.locator(`[data-job-id="${queuedId}"][data-status="CANCELLED"]`).waitFor({ timeout: UI_TIMEOUT });
    const stored = await server.gql<{ job: { status: string } }>(`{ job(id: "${queuedId}") { status } }`);
    expect(stored.data!.job.status).toBe('CANCELLED');

    await page.locator(`[data-job-id="${blockerId}"]`).getByRole('button', { name: /^Cancel/ }).click();
    await page.locator(`[data-job-id="${blockerId}"][data-status="CANCELLED"]`).waitFor({ timeout: UI_TIMEOUT });

    await page.getByLabel('Status').selectOption('CANCELLED');
    await expect.poll(() => page.getByTestId('job-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')))).toEqual(['CANCELLED', 'CANCELLED']);
  });

  it('picks a LoRA with a weight and shows why the server refused it', async () => {
    mkdirSync(server.config.lora.directory, { recursive: true });
    writeFileSync(path.join(server.config.lora.directory, 'broken_style.safetensors'), 'not a safetensors file');
    await open('#/generate');
    await page.getByLabel('Prompt', { exact: true }).fill('a castle');
    await page.getByLabel('LoRA to add').selectOption('broken_style');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const weight = page.getByRole('slider', { name: 'broken_style' });
    await weight.fill('0.5');
    await expect(page.locator('output[for="lora-weight-0"]').textContent()).resolves.toBe('0.50');
    await page.getByRole('button', { name: 'Generate' }).click();
    const alert = page.getByRole('alert').first();
    await alert.waitFor({ timeout: UI_TIMEOUT });
    await expect(alert.textContent()).resolves.toMatch(/\S/);
    await screenshot('generate-lora-error');
  });

  it('shows the server\'s validation message next to a config field', async () => {
    await open('#/config');
    const steps = page.getByLabel('Steps');
    await steps.fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    const alert = page.getByRole('alert').first();
    await alert.waitFor({ timeout: UI_TIMEOUT });
    await expect(alert.textContent()).resolves.toMatch(/steps/i);
    expect(await steps.getAttribute('aria-invalid')).toBe('true');
    await screenshot('config');
  });

  it('shows a server error as a message, not a blank page', async () => {
    // urql sends queries as GET /graphql?query=…
    await page.route(/\/graphql(\?|$)/, (route) => route.fulfill({ status: 500, contentType: 'text/plain', body: 'Internal Server Error' }));
    await page.goto(`${server.url}/#/sets`);
    const alert = page.getByRole('alert').first();
    await alert.waitFor({ timeout: UI_TIMEOUT });
    await expect(alert.textContent()).resolves.toMatch(/server/i);
    await expect(page.getByRole('heading', { name: 'Sets' }).isVisible()).resolves.toBe(true);
    await screenshot('server-error');
  });

  it('shows a dropped connection and catches up on what it missed after reconnecting', async () => {
    let serverReachable = true;
    const sockets: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      if (!serverReachable) {
        void ws.close({ code: 4499, reason: 'server unreachable (test)' });
        return;
      }
      ws.connectToServer();
      sockets.push(ws);
    });
    await open('#/jobs');
    await page.getByTestId('job-row').first().waitFor({ timeout: UI_TIMEOUT });

    serverReachable = false;
    for (const socket of sockets) await socket.close({ code: 4499, reason: 'dropped (test)' });
    await page.getByTestId('connection').filter({ hasText: 'Reconnecting' }).waitFor({ timeout: UI_TIMEOUT });
    await screenshot('reconnecting');

    // Made and finished while the browser had no live feed: only a refetch can show it.
    const made = await server.gql<{ generate: { jobs: { id: string }[] } }>('mutation { generate(input: { prompt: "made while offline", steps: 1 }) { jobs { id } } }');
    const id = made.data!.generate.jobs[0].id;
    await waitUntil(async () => (await server.gql<{ job: { status: string } }>(`{ job(id: "${id}") { status } }`)).data?.job.status === 'SUCCEEDED', 'offline job done');
    expect(await page.locator(`[data-job-id="${id}"]`).count()).toBe(0);

    serverReachable = true;
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: UI_TIMEOUT });
    await page.locator(`[data-job-id="${id}"][data-status="SUCCEEDED"]`).waitFor({ timeout: UI_TIMEOUT });
  });

  it('loads older jobs as the table scrolls to its end', async () => {
    const made = await server.gql('mutation { generate(input: { prompt: "history filler", steps: 1, numImages: 40 }) { jobs { id } } }');
    expect(made.errors).toBeUndefined();
    await open('#/jobs');
    const rows = page.getByTestId('job-row');
    await rows.first().waitFor({ timeout: UI_TIMEOUT });
    const total = Number((await page.getByText(/^\d+ jobs$/).textContent())!.split(' ')[0]);
    expect(total).toBeGreaterThanOrEqual(40);
    expect(await rows.count()).toBeLessThan(total);
    for (let i = 0; i < 20 && (await rows.count()) < total; i++) {
      await rows.last().scrollIntoViewIfNeeded();
      await page.mouse.wheel(0, 4000);
      await page.waitForTimeout(200);
    }
    expect(await rows.count()).toBe(total);
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open('#/jobs');
    await page.getByTestId('job-row').first().waitFor({ timeout: UI_TIMEOUT });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot('phone-jobs');
    await open('#/generate');
    await screenshot('phone-generate');
  });

  it('restores the settings of a dropped AUTOMATIC1111 PNG into Generate', async () => {
    const parameters = 'a castle in the clouds, <lora:card_layout:0.6>\nNegative prompt: blurry\nSteps: 17, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 987654321, Size: 512x720, Model: v1-5';
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();
    const folder = mkdtempSync(path.join(tmpdir(), 'imagineer-png-'));
    const file = path.join(folder, 'a1111-settings.png');
    writeFileSync(file, withTextChunk(png, 'parameters', parameters));
    await open('#/generate');
    await page.getByLabel(/Load settings from a PNG/).setInputFiles(file);
    await page.getByTestId('png-restored').filter({ hasText: 'Settings restored from a1111-settings.png' }).waitFor({ timeout: UI_TIMEOUT });
    expect(await page.getByLabel('Prompt', { exact: true }).inputValue()).toBe('a castle in the clouds,');
    expect(await page.getByLabel('Negative prompt').inputValue()).toBe('blurry');
    expect(await page.getByLabel('Steps').inputValue()).toBe('17');
    expect([await page.getByLabel('Width').inputValue(), await page.getByLabel('Height').inputValue()]).toEqual(['512', '720']);
    expect(await page.getByLabel('Seed', { exact: true }).inputValue()).toBe('987654321');
    expect(await page.getByLabel('Scheduler').inputValue()).toBe('dpmpp_2m_karras');
    await screenshot('generate-restored');

    const plain = path.join(folder, 'plain.png');
    writeFileSync(plain, png);
    await page.getByLabel(/Load settings from a PNG/).setInputFiles(plain);
    await page.getByTestId('png-restored').filter({ hasText: 'plain.png holds no generation settings' }).waitFor({ timeout: UI_TIMEOUT });
    rmSync(folder, { recursive: true, force: true });
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

/** A PNG with one tEXt chunk after IHDR, as AUTOMATIC1111 writes its `parameters`. */
function withTextChunk(png: Buffer, keyword: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]);
  const type = Buffer.from('tEXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, body])));
  return Buffer.concat([png.subarray(0, 33), length, type, body, crc, png.subarray(33)]);
}
