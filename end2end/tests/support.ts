import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

/** Waits until the wasm has hydrated the page: clicks before that would be lost. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
}

/** Fails on any axe-core violation of WCAG 2.1 A/AA in what is on screen now. */
export async function expectNoA11yViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations, JSON.stringify(results.violations, null, 2)).toEqual([]);
}
