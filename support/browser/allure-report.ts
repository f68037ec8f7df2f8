// The Allure HTML report as a release manager sees it: served over
// 127.0.0.1, one scenario's page opened in Chromium, its text read and its
// SVG charts rendered by the browser (so a chart that does not draw is caught).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { z } from 'zod';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** A static server for a report folder, on 127.0.0.1 only. */
export async function serveFolder(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(root, rel.endsWith('/') ? `${rel}index.html` : rel);
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const Attachment = z.object({ name: z.string(), source: z.string(), type: z.string() });
interface Stage {
  attachments?: z.infer<typeof Attachment>[];
  steps?: Stage[];
}
const StageSchema: z.ZodType<Stage> = z.lazy(() => z.object({ attachments: z.array(Attachment).optional(), steps: z.array(StageSchema).optional() }));
const TestCaseSchema = z.object({
  uid: z.string(),
  name: z.string(),
  status: z.string(),
  statusMessage: z.string().optional(),
  beforeStages: z.array(StageSchema).optional(),
  testStage: StageSchema.optional(),
  afterStages: z.array(StageSchema).optional(),
});

export interface ReportScenarioView {
  uid: string;
  name: string;
  status: string;
  /** The scenario page's visible text. */
  text: string;
  /** Every SVG attachment with the size the browser drew it at. */
  charts: { name: string; width: number; height: number }[];
  screenshot: Buffer;
}

const attachmentsOf = (stage: Stage | undefined): z.infer<typeof Attachment>[] => (stage ? [...(stage.attachments ?? []), ...(stage.steps ?? []).flatMap(attachmentsOf)] : []);

/** Opens a scenario's page of a generated report (`npm run report`) and renders its charts. */
export async function viewReportScenario(browser: Browser, reportDir: string, scenario: string, timeoutMs = 20_000): Promise<ReportScenarioView> {
  const casesDir = path.join(reportDir, 'data', 'test-cases');
  if (!fs.existsSync(casesDir)) throw new Error(`${reportDir} is not a generated Allure report (no data/test-cases): run npm run report first`);
  const cases = fs.readdirSync(casesDir).map((f) => TestCaseSchema.parse(JSON.parse(fs.readFileSync(path.join(casesDir, f), 'utf8'))));
  const found = cases.find((c) => c.name === scenario);
  if (found === undefined) throw new Error(`the report has no scenario "${scenario}"; it has: ${cases.map((c) => `"${c.name}"`).join(', ')}`);
  const server = await serveFolder(reportDir);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    await page.goto(`${server.url}/index.html#testresult/${found.uid}`, { timeout: timeoutMs });
    await page.getByText(scenario).first().waitFor({ timeout: timeoutMs });
    // The page renders the status message asynchronously after the title.
    await page.waitForTimeout(500);
    const text = await page.locator('body').innerText();
    const svgs = [...(found.beforeStages ?? []), found.testStage, ...(found.afterStages ?? [])].flatMap(attachmentsOf).filter((a) => a.type === 'image/svg+xml');
    const charts: ReportScenarioView['charts'] = [];
    for (const a of svgs) {
      const size = await page.evaluate(async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode().catch(() => undefined);
        return { width: img.naturalWidth, height: img.naturalHeight };
      }, `${server.url}/data/attachments/${a.source}`);
      charts.push({ name: a.name, ...size });
    }
    const screenshot = await page.screenshot({ fullPage: false });
    return { uid: found.uid, name: found.name, status: found.status, text, charts, screenshot };
  } finally {
    await page.close();
    await server.close();
  }
}
