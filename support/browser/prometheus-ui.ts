// Prometheus' own web UI as an operator opens it: the alerts page in a real
// Chromium, read as text and kept as a screenshot. Debian's Prometheus 2.x
// serves the classic UI under /classic (its React UI is not packaged); other
// builds serve /alerts.
import type { Browser } from 'playwright-core';

export interface AlertsPageView {
  url: string;
  text: string;
  screenshot: Buffer;
}

export async function viewPrometheusAlerts(browser: Browser, prometheusUrl: string, timeoutMs = 20_000): Promise<AlertsPageView> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    let url = `${prometheusUrl}/classic/alerts`;
    let res = await page.goto(url, { timeout: timeoutMs });
    if (res === null || res.status() === 404) {
      url = `${prometheusUrl}/alerts`;
      res = await page.goto(url, { timeout: timeoutMs });
    }
    if (res === null || !res.ok()) throw new Error(`Prometheus' alerts page ${url} answered ${res?.status() ?? 'nothing'}`);
    // The classic page folds each rule; open them so the screenshot shows the firing series.
    await page.evaluate(() => document.querySelectorAll('.alert_details').forEach((e) => ((e as HTMLElement).style.display = 'block')));
    const text = await page.innerText('body', { timeout: timeoutMs });
    const screenshot = await page.screenshot({ fullPage: true });
    return { url, text, screenshot };
  } finally {
    await page.close();
  }
}
