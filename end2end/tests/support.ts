import { execFileSync } from "node:child_process";
import { test as base, expect, type BrowserContext, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

/**
 * Every test runs with the server's Content-Security-Policy enforced and fails if the
 * browser refused anything under it, in any of its browser contexts.
 */
export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ browser, context }, use) => {
      const violations: string[] = [];
      const watch = (ctx: BrowserContext) =>
        ctx.on("console", (message) => {
          if (message.text().includes("Content Security Policy")) violations.push(message.text());
        });
      watch(context);
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const created = await newContext(options);
        watch(created);
        return created;
      };
      await use();
      browser.newContext = newContext;
      expect(violations, violations.join("\n")).toEqual([]);
    },
    { auto: true },
  ],
});

/** Waits until the wasm has hydrated the page: clicks before that would be lost. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
}

/** Fails on any axe-core violation of WCAG 2.1 A/AA in what is on screen now. */
export async function expectNoA11yViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations, JSON.stringify(results.violations, null, 2)).toEqual([]);
}

export interface Person {
  email: string;
  name: string;
}

export interface TestAccount {
  name: string;
  password: string;
  owner: Person;
  admin: Person;
  member: Person;
}

let counter = 0;
/** A name no other test of this run uses, so tests share one database without clashing. */
export function uniqueName(stem: string): string {
  counter += 1;
  return `${stem}${Date.now().toString(36)}${counter}`;
}

/** Runs the server's admin command line against the test database (or `databaseUrl`). */
export function adminCli(args: string[], stdin = "", databaseUrl?: string): string {
  const bin = process.env.SC_BIN;
  if (!bin) throw new Error("SC_BIN is not set: run the suite through scripts/e2e.sh");
  const env = { ...process.env, LOG_LEVEL: "error", ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  return execFileSync(bin, args, { input: stdin, env }).toString();
}

/** Creates an account with an owner, an administrator and a member through the admin CLI. */
export function createAccount(name: string, databaseUrl?: string): TestAccount {
  const slug = name.toLowerCase();
  const password = "correct horse battery";
  const person = (who: string, label: string): Person => ({ email: `${who}@${slug}.test`, name: `${label} ${name}` });
  const account: TestAccount = {
    name,
    password,
    owner: person("owner", "Olivia"),
    admin: person("admin", "Adam"),
    member: person("member", "Mia"),
  };
  adminCli(["create-account", "--name", name, "--owner-email", account.owner.email, "--owner-name", account.owner.name], `${password}\n`, databaseUrl);
  adminCli(["add-user", "--account", name, "--email", account.admin.email, "--name", account.admin.name, "--role", "administrator"], `${password}\n`, databaseUrl);
  adminCli(["add-user", "--account", name, "--email", account.member.email, "--name", account.member.name, "--role", "member"], `${password}\n`, databaseUrl);
  return account;
}

/** Signs in through the sign-in page and waits for the console. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  await expect(page.getByRole("button", { name: /Avatar menu/ })).toBeVisible();
}
