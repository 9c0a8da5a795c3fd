import { expect } from "@playwright/test";
import { adminCli, createAccount, expectNoA11yViolations, hydrated, test, uniqueName } from "./support";

test("the server renders the sign-in page before any script runs", async ({ request }) => {
  const response = await request.get("/signin");
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain("Sign in");
  expect(html).toContain('name="password"');
});

test("the console's address leads to the sign-in page", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("after hydration, Show password reveals the password", async ({ page }) => {
  await page.goto("/signin");
  await hydrated(page);
  const password = page.getByLabel("Password", { exact: true });
  await password.fill("hunter2hunter2");
  await expect(password).toHaveAttribute("type", "password");

  const toggle = page.getByRole("button", { name: "Show password" });
  await expect(toggle).toHaveAttribute("aria-pressed", "false");
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  await expect(password).toHaveAttribute("type", "text");
  await expect(password).toHaveValue("hunter2hunter2");
});

test("the sign-in page has no accessibility violations", async ({ page }) => {
  await page.goto("/signin");
  await hydrated(page);
  await expectNoA11yViolations(page);
});

test("pages are served with a strict, nonce-based Content-Security-Policy", async ({ page }) => {
  const response = await page.goto("/signin");
  const headers = response?.headers() ?? {};
  expect(headers["content-security-policy"]).toMatch(/script-src 'nonce-[A-Za-z0-9_-]+' 'strict-dynamic' 'wasm-unsafe-eval'/);
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  // The page still hydrates under the policy (the suite fails on any CSP refusal).
  await hydrated(page);
});

test("a person in two accounts chooses one after the password and lands in its console", async ({ page }) => {
  const first = createAccount(uniqueName("First"));
  const second = createAccount(uniqueName("Second"));
  adminCli(["add-user", "--account", second.name, "--email", first.member.email, "--name", first.member.name, "--role", "administrator"]);
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(first.member.email);
  await page.getByLabel("Password", { exact: true }).fill(first.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // The sign-in page's own bundle asks which account; choosing one loads the console.
  const account = page.getByRole("combobox", { name: "Account" });
  await expect(account).toBeVisible();
  await expectNoA11yViolations(page);
  await account.selectOption({ label: `${second.name} (Administrator)` });
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  await page.getByRole("button", { name: "Manage" }).click();
  await expect(page.getByRole("menuitem", { name: "Access (IAM)" })).toBeVisible();
});
