// Signs in to a live service's dashboard in Debian's Chromium, opens every repository's
// findings, reports what the page shows (the acceptance charts' drawn data points too) (JSON on stdout, one line) and saves a full-page
// screenshot 1280 pixels wide.
// Usage: DOCKMEND_TOKEN=... node live.mjs BASE_URL OUT.png
import { chromium } from "playwright-core";

const [base, out] = process.argv.slice(2);
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const cells = (rows) => rows.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText.trim()));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: FLAGS,
  timeout: 30000,
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await page.goto(`${base}/`);  // redirected to the login form
  await page.fill("#token", process.env.DOCKMEND_TOKEN);
  await Promise.all([page.waitForURL(`${base}/`), page.click("button[type=submit]")]);
  await page.locator("#repositories details").evaluateAll((all) => all.forEach((el) => { el.open = true; }));
  const report = {
    url: page.url(),
    title: await page.title(),
    headings: await page.locator("h2").allInnerTexts(),
    stats: await page.locator(".stats li").allInnerTexts(),
    runs: await page.locator("#runs tbody tr").evaluateAll(cells),
    requests: await page.locator("#requests tbody tr").evaluateAll((rows) => rows.map((tr) => {
      const a = tr.querySelector("a");
      return { text: a.textContent, href: a.href, fixes: [...tr.querySelectorAll("code")].map((c) => c.textContent) };
    })),
    schedule: await page.locator("#schedule tbody tr").evaluateAll(cells),
    repositories: await page.locator("#repositories li details").evaluateAll((all) => all.map((d) => ({
      name: d.querySelector(".repo-name").innerText.trim(),
      href: d.querySelector(".repo-name a")?.href ?? null,
      codes: [...d.querySelectorAll(".findings code")].map((c) => c.textContent),
      visible: d.querySelector(".findings").getBoundingClientRect().height > 0,
    }))),
    acceptance: (await page.locator("#acceptance-overall").innerText()).trim(),
    timeToMerge: (await page.locator("#time-to-merge").innerText()).trim(),
    charts: await page.locator("figure svg.chart").evaluateAll((all) => all.map((svg) => ({
      figure: svg.parentElement.id,
      width: svg.getBoundingClientRect().width,
      points: [...svg.querySelectorAll("circle[data-value]")].map((c) => [
        c.parentElement.dataset.series, c.dataset.label, Number(c.dataset.value),
      ]),
      bars: [...svg.querySelectorAll("rect[data-part]")].map((r) => [
        r.parentElement.dataset.label, r.dataset.part, Number(r.dataset.value),
      ]),
    }))),
    waiting: await page.locator("#waiting tbody tr").evaluateAll((rows) => rows.map((tr) => tr.querySelector("a").textContent)),
    stylesLoaded: await page.evaluate(() => getComputedStyle(document.querySelector(".topbar")).backgroundColor),
  };
  await page.screenshot({ path: out, fullPage: true });
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}
