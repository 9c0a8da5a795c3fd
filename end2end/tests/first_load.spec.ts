import { expect } from "@playwright/test";
import { test } from "./support";

/** What the first visit may transfer (wasm + JavaScript + CSS, compressed) and how soon
 * the sign-in page must hydrate at 4× CPU throttling. Hydration meets its goal (1 s).
 * The bytes do not: the goal is 300 KB and the bundle is about 419 KB with brotli, most
 * of it Leptos's rendering and reactive code and the server functions' JSON (see
 * docs/performance.md, "First load"). The budget here stops it from growing unnoticed,
 * and fails if the build loses `erase_components` (557 KB without it). */
const FIRST_VISIT_BUDGET = 450_000;
const HYDRATION_BUDGET_MS = 1_000;

/** Bytes that came over the network for the front end (wasm, JavaScript, CSS), from
 * the page's resource timing: 0 for what the browser served from its cache. */
async function frontEndBytes(page: import("@playwright/test").Page) {
  const entries = await page.evaluate(() =>
    (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
      .filter((r) => /\/pkg\/.*\.(js|wasm|css)$/.test(new URL(r.name).pathname))
      .map((r) => ({ path: new URL(r.name).pathname, transferred: r.transferSize, body: r.decodedBodySize })),
  );
  // A preloaded file is listed again when it is used (from the preload, 0 bytes).
  const byPath = new Map<string, { path: string; transferred: number; body: number }>();
  for (const e of entries) {
    const seen = byPath.get(e.path);
    byPath.set(e.path, {
      path: e.path,
      transferred: (seen?.transferred ?? 0) + e.transferred,
      body: Math.max(seen?.body ?? 0, e.body),
    });
  }
  return [...byPath.values()];
}

test("the first visit downloads the compressed front end once, a repeat visit none of it, and the page hydrates quickly at 4× slower CPU", async ({ browser }, testInfo) => {
  const context = await browser.newContext();
  // When hydration finished, as the page's own clock tells it (ms since navigation).
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.dataset.hydrated === "true") {
        (window as unknown as { hydratedAt: number }).hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-hydrated"] });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });

  await page.goto("/signin");
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
  const hydratedAt = await page.evaluate(() => (window as unknown as { hydratedAt: number }).hydratedAt);
  const first = await frontEndBytes(page);
  const firstBytes = first.reduce((sum, r) => sum + r.transferred, 0);
  expect(first.map((r) => r.path).sort()).toEqual([
    expect.stringMatching(/^\/pkg\/session-console\.[0-9a-f]{16}\.css$/),
    expect.stringMatching(/^\/pkg\/session-console\.[0-9a-f]{16}\.js$/),
    expect.stringMatching(/^\/pkg\/session-console\.[0-9a-f]{16}_bg\.wasm$/),
  ]);
  // Every file came compressed: far fewer bytes on the wire than in it.
  for (const r of first) expect(r.transferred, r.path).toBeLessThan(r.body / 2);

  await page.goto("/signin");
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
  const repeat = await frontEndBytes(page);
  const repeatBytes = repeat.reduce((sum, r) => sum + r.transferred, 0);
  expect(repeat).toHaveLength(3);
  expect(repeatBytes, "a repeat visit is served from the browser's cache").toBe(0);

  testInfo.annotations.push({
    type: "first load",
    description: `first visit ${firstBytes} bytes (${first.map((r) => `${r.path.split(".").pop()} ${r.transferred}`).join(", ")}), repeat visit ${repeatBytes} bytes, hydrated ${hydratedAt.toFixed(0)} ms after navigation at 4× CPU throttling`,
  });
  console.log(`first load: ${testInfo.annotations.at(-1)?.description}`);
  expect(firstBytes).toBeLessThan(FIRST_VISIT_BUDGET);
  expect(hydratedAt).toBeLessThan(HYDRATION_BUDGET_MS);
  await context.close();
});
