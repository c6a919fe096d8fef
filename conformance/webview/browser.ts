/**
 * The SMS fallback web view as a phone browser shows it: the page at `url` is opened in headless Chromium (the
 * system's, driven by playwright-core) at a phone viewport with JavaScript disabled, and checked from the DOM and
 * from a full-page screenshot decoded with pngjs. Knows nothing about who serves the page: a fixture server or a
 * link a real gateway sent. A check is one line: ok or not, and what.
 */
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page, Response } from 'playwright-core';
import { PNG } from 'pngjs';

export interface WebViewExpectation {
  /** Sentences that must be on the page, visible. */
  text: string[];
  /** How many <img> elements the page must have, each loaded. */
  images: number;
  /** When given: the colour the images are (solid), to find in the screenshot where each <img> is. */
  imageColour?: [number, number, number];
}

export interface CheckLine {
  ok: boolean;
  what: string;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// A mid-size Android phone (CSS pixels). deviceScaleFactor 1 so screenshot pixels are CSS pixels.
const PHONE = { width: 412, height: 915 };
// Per-channel distance for "close to imageColour" (scaling and colour management may nudge a solid colour),
// and the share of an image's box that must be that colour.
const COLOUR_TOLERANCE = 24;
const COLOUR_SHARE = 0.9;
// A pixel is "dark" (ink) when all channels are below this; the text box must hold a few of them.
const DARK = 110;
const MIN_DARK_PIXELS = 20;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Box in document coordinates (what a full-page screenshot shows), rounded inwards to whole pixels. */
function inner(b: Box): Box {
  const x = Math.ceil(b.x);
  const y = Math.ceil(b.y);
  return { x, y, width: Math.floor(b.x + b.width) - x, height: Math.floor(b.y + b.height) - y };
}

function pixels(png: PNG, box: Box, each: (r: number, g: number, b: number) => void): number {
  let n = 0;
  const x1 = Math.min(png.width, box.x + box.width);
  const y1 = Math.min(png.height, box.y + box.height);
  for (let y = Math.max(0, box.y); y < y1; y++) {
    for (let x = Math.max(0, box.x); x < x1; x++) {
      const o = (y * png.width + x) * 4;
      each(png.data[o], png.data[o + 1], png.data[o + 2]);
      n++;
    }
  }
  return n;
}

/** True when the CSP header value leaves scripts no source: script-src 'none', or no script-src and default-src 'none'. */
function cspForbidsScripts(csp: string | undefined): boolean {
  if (csp === undefined) return false;
  const directives = new Map<string, string>();
  for (const d of csp.split(';')) {
    const [name, ...values] = d.trim().toLowerCase().split(/\s+/);
    if (name !== '' && !directives.has(name)) directives.set(name, values.join(' '));
  }
  const scripts = directives.get('script-src-elem') ?? directives.get('script-src') ?? directives.get('default-src');
  return scripts === "'none'";
}

async function inspect(
  page: Page,
  response: Response,
  expect: WebViewExpectation,
  screenshotPath: string,
  problems: string[],
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const check = (ok: boolean, what: string): boolean => {
    lines.push({ ok, what });
    return ok;
  };

  const type = response.headers()['content-type'] ?? '';
  check(response.status() === 200, `HTTP status 200 (got ${response.status()})`);
  check(/^text\/html\s*(;|$)/i.test(type), `Content-Type text/html (got ${type || 'none'})`);
  const csp = response.headers()['content-security-policy'];
  check(cspForbidsScripts(csp), `Content-Security-Policy allows no scripts (${csp ?? 'no header'})`);

  // page.evaluate is the driver's (CDP), not the page's: it works with the context's JavaScript disabled.
  const scripts = await page.evaluate(() => document.querySelectorAll('script').length);
  check(scripts === 0, `no <script> elements (found ${scripts})`);
  const handlers = await page.evaluate(
    () => [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
  );
  check(handlers === 0, `no inline event handlers (found ${handlers} elements with on* attributes)`);

  // A layout viewport of 412 CSS pixels means the meta viewport was honoured (without one a phone lays out 980).
  const widths = await page.evaluate(() => ({ inner: window.innerWidth, scroll: document.documentElement.scrollWidth }));
  check(widths.inner === PHONE.width, `layout viewport is the phone's width ${PHONE.width} (got ${widths.inner})`);
  check(widths.scroll <= PHONE.width, `no horizontal overflow at ${PHONE.width} px (document ${widths.scroll} px wide)`);

  const textBoxes: Array<[string, Box]> = [];
  for (const text of expect.text) {
    const el = page.getByText(text).first();
    if (!check((await el.count()) > 0, `text in the DOM: "${text}"`)) continue;
    const box = await el.evaluate((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
    });
    const visible = (await el.isVisible()) && box.width > 0 && box.height > 0;
    if (
      check(
        visible,
        `text visible: "${text}" (${Math.round(box.width)}x${Math.round(box.height)} at ${Math.round(box.x)},${Math.round(box.y)})`,
      )
    ) {
      textBoxes.push([text, box]);
    }
  }

  const images = await page.evaluate(() =>
    [...document.images].map((img) => {
      const r = img.getBoundingClientRect();
      return {
        src: img.getAttribute('src') ?? '',
        complete: img.complete,
        naturalWidth: img.naturalWidth,
        naturalHeight: img.naturalHeight,
        box: { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height },
      };
    }),
  );
  check(images.length === expect.images, `${expect.images} <img> element(s) (found ${images.length})`);
  images.forEach((img, i) => {
    check(img.complete && img.naturalWidth > 0, `image ${i + 1} loaded (${img.naturalWidth}x${img.naturalHeight} from ${img.src})`);
    check(
      img.box.width > 0 && img.box.height > 0 && img.box.x >= 0 && img.box.x + img.box.width <= PHONE.width + 0.5,
      `image ${i + 1} shown within the screen width (${Math.round(img.box.width)}x${Math.round(img.box.height)} at ${Math.round(img.box.x)},${Math.round(img.box.y)})`,
    );
  });

  const shot = await page.screenshot({ fullPage: true, type: 'png' });
  writeFileSync(screenshotPath, shot);
  const png = PNG.sync.read(shot);
  check(png.width === PHONE.width, `screenshot is ${PHONE.width} px wide (got ${png.width}x${png.height})`);

  if (expect.imageColour !== undefined) {
    const [wr, wg, wb] = expect.imageColour;
    images.forEach((img, i) => {
      let near = 0;
      const n = pixels(png, inner(img.box), (r, g, b) => {
        if (Math.abs(r - wr) <= COLOUR_TOLERANCE && Math.abs(g - wg) <= COLOUR_TOLERANCE && Math.abs(b - wb) <= COLOUR_TOLERANCE) near++;
      });
      const share = n === 0 ? 0 : near / n;
      check(share >= COLOUR_SHARE, `screenshot shows image ${i + 1} in rgb(${wr},${wg},${wb}) (${(share * 100).toFixed(1)}% of ${n} px)`);
    });
  }
  for (const [text, box] of textBoxes) {
    let dark = 0;
    pixels(png, inner(box), (r, g, b) => {
      if (r < DARK && g < DARK && b < DARK) dark++;
    });
    check(dark >= MIN_DARK_PIXELS, `screenshot shows ink where the text is: "${text}" (${dark} dark px)`);
  }

  // CSP violations (a style sheet or image the policy drops) and failed loads show up here.
  check(problems.length === 0, `no console errors, CSP violations or failed requests${problems.length ? `: ${problems.join(' | ')}` : ''}`);
  return lines;
}

/**
 * Opens `url` as a phone with JavaScript off and checks the page; saves a full-page screenshot at screenshotPath.
 * Never throws for a failing page: a page that cannot be opened is a failed check.
 */
export async function checkWebView(url: string, expect: WebViewExpectation, screenshotPath: string): Promise<CheckLine[]> {
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    // isMobile makes Chromium honour <meta name="viewport"> as a phone does; JavaScript off proves the page needs none.
    const context = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 1,
      isMobile: true,
      hasTouch: true,
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('console', (m) => {
      // The browser asks for /favicon.ico by itself; the page does not link one, so its 404 is not the page's.
      if (new URL(m.location().url || url, url).pathname === '/favicon.ico') return;
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()} [${m.location().url}]`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && r.url() !== url) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    const response = await page.goto(url, { waitUntil: 'load' });
    if (response === null) return [{ ok: false, what: `open ${url}: no response` }];
    return await inspect(page, response, expect, screenshotPath, problems);
  } catch (e) {
    return [{ ok: false, what: `open ${url} in ${CHROMIUM}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` }];
  } finally {
    await browser?.close();
  }
}
