// Drives the summary page in headless Debian Chromium (playwright-core, no browser download): pastes a document,
// waits for the quoted price, clicks pay, and prints what the page then shows as one JSON line, with the requests the
// page sent (to /attestation of the facilitator, to the provider's /summarize) so a test can tell that a page which
// refused to pay sent no payment. A screenshot of the final page is written to the given path.
// Usage: node pay-in-browser.mjs PAGE_URL DOCUMENT_FILE SCREENSHOT_PNG
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const [url, documentFile, screenshot] = process.argv.slice(2);
if (!url || !documentFile || !screenshot) {
  console.error('usage: node pay-in-browser.mjs PAGE_URL DOCUMENT_FILE SCREENSHOT_PNG');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const result = { console: [], requests: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  page.on('console', (m) => result.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => result.console.push(`pageerror: ${e.message}`));
  page.on('request', (r) => result.requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  await page.goto(url, { waitUntil: 'networkidle' });
  result.network = await page.textContent('#network');
  await page.fill('#doc', fs.readFileSync(documentFile, 'utf8'));
  await page.waitForFunction(() => document.querySelector('#price').textContent.includes('USDC'), null,
    { timeout: 20000 });
  result.price = await page.textContent('#price');
  await page.click('#pay');
  await page.waitForFunction(() => !document.querySelector('#result').hidden
    || document.querySelector('#status').className === 'bad', null, { timeout: 90000 });
  for (const id of ['status', 'checked', 'summary', 'tx', 'paid', 'receipt', 'receipt-check', 'attestation',
    'browser-attestation']) {
    result[id] = (await page.textContent(`#${id}`))?.trim();
  }
  result.receiptValid = (await page.getAttribute('#receipt-check', 'class')) === 'ok';
  result.checkedOk = (await page.getAttribute('#checked', 'class')) === 'ok';
  result.resultShown = !(await page.isHidden('#result'));
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  result.error = String(e?.message ?? e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
