/**
 * The report's PDF: the same HTML printed by headless Chromium (Debian's `chromium`, or
 * MAINT_CHROMIUM), so the page and the PDF share one layout. The page has no external assets and
 * is loaded with scripts off and no network: printing reads nothing but the HTML given.
 */
import { chromium } from 'playwright-core';

export const REPORT_CHROMIUM = process.env.MAINT_CHROMIUM ?? '/usr/bin/chromium';

export async function printReportPdf(page: string, options: { executablePath?: string } = {}): Promise<Buffer> {
  // As root, Chromium's sandbox cannot start (it needs an unprivileged user namespace).
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: options.executablePath ?? REPORT_CHROMIUM, headless: true, args });
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const tab = await context.newPage();
    await tab.setContent(page, { waitUntil: 'load' });
    return await tab.pdf({ format: 'A4', printBackground: true, margin: { top: '14mm', bottom: '14mm', left: '12mm', right: '12mm' } });
  } finally {
    await browser.close();
  }
}
