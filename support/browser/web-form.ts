// A person using a service's HTML form in Chromium: the page opened, fields
// filled by name, the form submitted, and what came back: the status, the
// visible text, and whether any script the input smuggled in ran (a payload
// that would set window.__cutoverInjected, or open a dialog).
import type { Browser, Page } from 'playwright-core';

export const INJECTION_MARKER = '__cutoverInjected';

export interface FormOutcome {
  page: Page;
  status: number | null;
  url: string;
  text: string;
  html: string;
  /** Whether a script carried by the input ran: the marker was set or a dialog opened. */
  injectedScriptRan: boolean;
  dialogs: string[];
}

/** Opens pageUrl, fills each field (input, textarea or select by name), submits the field's form and waits for the answer page (bounded). */
export async function submitForm(browser: Browser, pageUrl: string, fields: Record<string, string>, timeoutMs = 15_000): Promise<FormOutcome> {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeoutMs);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const opened = await page.goto(pageUrl);
  if (opened === null || !opened.ok()) throw new Error(`${pageUrl} answered ${opened?.status() ?? 'nothing'}: no form to fill`);
  const names = Object.keys(fields);
  if (names.length === 0) throw new Error('no field to fill: name at least one');
  for (const [name, value] of Object.entries(fields)) {
    const field = page.locator(`form [name="${name.replace(/"/g, '\\"')}"]`);
    if ((await field.count()) === 0) {
      const present = await page.locator('form [name]').evaluateAll((els) => els.map((e) => e.getAttribute('name')));
      throw new Error(`the form on ${pageUrl} has no field "${name}" (it has ${present.join(', ') || 'none'})`);
    }
    await field.first().fill(value);
  }
  const first = page.locator(`form [name="${(names[0] as string).replace(/"/g, '\\"')}"]`).first();
  // The server's validation is under test, not the browser's: submit as a script or curl would.
  await first.evaluate((el) => ((el as HTMLInputElement).form as HTMLFormElement).setAttribute('novalidate', ''));
  const [answer] = await Promise.all([page.waitForNavigation(), first.evaluate((el) => ((el as HTMLInputElement).form as HTMLFormElement).requestSubmit())]);
  // Let onerror/onload handlers of injected markup run before looking.
  await page.waitForLoadState('load');
  await page.waitForTimeout(300);
  const marker = await page.evaluate((m) => (window as unknown as Record<string, unknown>)[m], INJECTION_MARKER);
  return {
    page,
    status: answer?.status() ?? null,
    url: page.url(),
    text: await page.innerText('body'),
    html: await page.content(),
    injectedScriptRan: marker !== undefined || dialogs.length > 0,
    dialogs,
  };
}
