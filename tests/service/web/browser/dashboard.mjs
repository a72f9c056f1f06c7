// Signs in to the dashboard in Debian's Chromium, reports what the page shows (JSON on
// stdout) and saves a full-page screenshot.
// Usage: DOCKMEND_TOKEN=... node dashboard.mjs BASE_URL OUT.png
import { chromium } from "playwright-core";

const [base, out] = process.argv.slice(2);
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: FLAGS,
  timeout: 30000,
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/`);  // redirected to the login form
  await page.fill("#token", process.env.DOCKMEND_TOKEN);
  await Promise.all([page.waitForURL(`${base}/`), page.click("button[type=submit]")]);
  await page.locator("details").first().evaluate((el) => { el.open = true; });
  const report = {
    url: page.url(),
    title: await page.title(),
    headings: await page.locator("h2").allInnerTexts(),
    runs: await page.locator("#runs tbody tr").allInnerTexts(),
    requests: await page.locator("#requests tbody a").evaluateAll((links) => links.map((a) => [a.textContent, a.href])),
    stylesLoaded: await page.evaluate(() => getComputedStyle(document.querySelector(".topbar")).backgroundColor),
  };
  await page.screenshot({ path: out, fullPage: true });
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}
