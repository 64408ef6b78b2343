// Browser test of the dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// against a real API behind the real nginx front door. Started by Autopack.Tests/Web/BrowserTests.cs with:
//   E2E_BASE_URL, E2E_API_KEY, E2E_USER, E2E_PASSWORD, E2E_REPO, E2E_SCREENSHOTS
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.E2E_BASE_URL;
const apiKey = process.env.E2E_API_KEY;
const shots = process.env.E2E_SCREENSHOTS ?? join(tmpdir(), 'autopack-screenshots');
mkdirSync(shots, { recursive: true });

async function api(path, init = {}) {
  const r = await fetch(`${base}/api${path}`, { ...init, headers: { 'x-api-key': apiKey, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const body = await r.text();
  return { status: r.status, body: body ? JSON.parse(body) : null };
}

test('an operator signs in, creates a run, watches it complete live, approves, and toggles a kill switch', { timeout: 180_000 }, async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Playwright gives every launch a fresh temporary profile; the network flags keep Chromium off the closed internet.
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

    await page.goto(base + '/');
    await page.getByLabel('Username').waitFor();
    await shot('01-sign-in');
    await page.getByLabel('Username').fill(process.env.E2E_USER);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'invalid_credentials' }).waitFor();
    await page.getByLabel('Password').fill(process.env.E2E_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /Runs/ }).waitFor();
    await shot('02-runs-empty');

    await page.getByRole('button', { name: 'New run' }).click();
    await page.getByLabel('Plan', { exact: true }).fill(JSON.stringify({ run_id: 'bad', tiers: [{ tier_id: 'T1' }], phases: [{ phase_id: 'P1', tier_id: 'T9' }] }));
    await page.getByRole('button', { name: 'Create run' }).click();
    await page.getByLabel('Plan errors').filter({ hasText: "unknown tier 'T9'" }).waitFor();
    await shot('03-create-run-errors');
    await page.getByLabel('Plan', { exact: true }).fill(JSON.stringify({
      run_id: 'browser-1', name: 'Greeting from the browser', repo_path: process.env.E2E_REPO,
      tiers: [{ tier_id: 'T1', name: 'Only tier' }],
      phases: [{ phase_id: 'P1', tier_id: 'T1', name: 'Greeting', description: 'Greet Autopack', complexity: 'low',
        scope: { paths: ['greet.sh'], read_only_context: ['test.sh'] }, test_command: 'sh test.sh' }],
    }));
    await page.getByRole('button', { name: 'Create run' }).click();
    await page.getByRole('heading', { name: /Greeting from the browser/ }).waitFor();
    // Live: the page does not poll the run; only the event stream can turn the phase COMPLETE.
    await page.locator('[data-phase="P1"] .badge', { hasText: 'COMPLETE' }).waitFor({ timeout: 90_000 });
    await page.locator('.badge', { hasText: 'COMPLETE' }).first().waitFor();
    await page.locator('[data-phase="P1"] button').click();
    await page.locator('pre.diff').first().waitFor();
    await shot('04-run-complete');

    await page.goto(base + '/runs');
    await page.getByText('Greeting from the browser').waitFor();
    await shot('05-runs');

    const created = await api('/approvals', { method: 'POST', body: JSON.stringify({ run_id: 'browser-1', phase_id: 'P1', kind: 'SCOPE_VIOLATION', reason: 'wants to edit README.md', diff: '--- a/README.md\n+++ b/README.md\n+hello' }) });
    assert.equal(created.status, 201);
    await page.getByRole('link', { name: 'Approvals' }).click();
    await page.getByText('wants to edit README.md').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('06-approvals-phone');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Nothing is waiting for a decision.').waitFor();
    const decided = await api(`/approvals/${created.body.approval_id}`);
    assert.equal(decided.body.status, 'APPROVED');
    assert.equal(decided.body.decision_source, 'dashboard');
    await page.setViewportSize({ width: 1200, height: 900 });

    await page.getByRole('link', { name: 'Kill switches' }).click();
    const toggle = page.getByRole('switch', { name: 'disable_memory' });
    await toggle.waitFor();
    await toggle.click();
    await page.locator('li', { hasText: 'disable_memory' }).getByText('ON').waitFor();
    await shot('07-kill-switches');
    const switches = await api('/kill-switches');
    assert.equal(switches.body.items.find((k) => k.name === 'disable_memory').enabled, true);
    await toggle.click();
    await page.locator('li', { hasText: 'disable_memory' }).getByText('off').waitFor();

    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
    await shot('08-outbox');
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByText('Database identity').waitFor();
    const identity = await page.locator('dd code').first().textContent();
    assert.match(identity, /^[0-9a-f]{12}$/);
    await shot('09-system');
  } finally {
    await browser.close();
  }
});
