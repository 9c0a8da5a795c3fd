import { expect, type Browser } from "@playwright/test";
import { createAccount, expectNoA11yViolations, hydrated, signIn, test, uniqueName } from "./support";

test("sign in through the page, reach the console, sign out, and the console is closed again", async ({ page }) => {
  const acme = createAccount(uniqueName("Signin"));
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
  await signIn(page, acme.owner.email, acme.password);

  await expect(page.getByRole("heading", { name: `Welcome, ${acme.owner.name}` })).toBeVisible();
  await expectNoA11yViolations(page);

  await page.getByRole("button", { name: /Avatar menu/ }).click();
  await expect(page.getByRole("menu")).toBeVisible();
  await expectNoA11yViolations(page);
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin\?notice=signed_out$/);
  await expect(page.getByRole("status")).toHaveText("You have signed out.");

  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("a wrong password is refused without saying which field was wrong", async ({ page }) => {
  const acme = createAccount(uniqueName("Wrong"));
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(acme.owner.email);
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect");
  await expect(page).toHaveURL(/\/signin$/);
  await expectNoA11yViolations(page);
});

async function newSignedInContext(browser: Browser, email: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email, password);
  return { context, page };
}

test("a second browser stays signed in when the first signs out", async ({ browser }) => {
  const acme = createAccount(uniqueName("Two"));
  const first = await newSignedInContext(browser, acme.owner.email, acme.password);
  const second = await newSignedInContext(browser, acme.owner.email, acme.password);

  await first.page.getByRole("button", { name: /Avatar menu/ }).click();
  await first.page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(first.page).toHaveURL(/\/signin/);

  await second.page.reload();
  await expect(second.page.getByRole("heading", { name: `Welcome, ${acme.owner.name}` })).toBeVisible();
  await first.page.goto("/");
  await expect(first.page).toHaveURL(/\/signin$/);
  await first.context.close();
  await second.context.close();
});

test("the avatar menu works with the keyboard alone", async ({ page }) => {
  const acme = createAccount(uniqueName("Keys"));
  await signIn(page, acme.owner.email, acme.password);
  const trigger = page.getByRole("button", { name: /Avatar menu/ });
  await trigger.focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Profile" })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Profile" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menu")).toBeHidden();
  await expect(trigger).toBeFocused();
  await expect(trigger).toHaveAttribute("aria-expanded", "false");
  // ArrowUp opens the menu on its last item.
  await page.keyboard.press("ArrowUp");
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/signin\?notice=signed_out$/);
});
