import { expect, type Page } from "@playwright/test";
import { createAccount, expectNoA11yViolations, signIn, test, uniqueName } from "./support";

function setting(page: Page, label: string) {
  return page.locator(".setting").filter({ has: page.getByText(label, { exact: true }) });
}

async function openSettings(page: Page) {
  await page.getByRole("button", { name: "Manage" }).click();
  await page.getByRole("menuitem", { name: "Access (IAM)" }).click();
  await page.getByRole("navigation", { name: "Access (IAM)" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Login session" })).toBeVisible();
}

test("an administrator lowers the limits; invalid input is refused and changes nothing", async ({ page }) => {
  const acme = createAccount(uniqueName("Limits"));
  await signIn(page, acme.admin.email, acme.password);
  await openSettings(page);
  await expectNoA11yViolations(page);

  const inactivity = setting(page, "Sign out due to inactivity");
  await expect(inactivity).toContainText("2 hours");
  await expect(inactivity.getByText("Default", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Edit Sign out due to inactivity" }).click();
  await expectNoA11yViolations(page);
  await inactivity.getByLabel("Sign out due to inactivity amount").fill("30");
  await inactivity.getByLabel("Unit").selectOption("minutes");
  await inactivity.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Sign out due to inactivity saved");
  await expect(inactivity).toContainText("30 minutes");

  const maximum = setting(page, "Maximum session duration");
  await page.getByRole("button", { name: "Edit Maximum session duration" }).click();
  await maximum.getByLabel("Maximum session duration amount").fill("8");
  await maximum.getByLabel("Unit").selectOption("hours");
  await maximum.getByRole("button", { name: "Save" }).click();
  await expect(maximum).toContainText("8 hours");

  await page.reload();
  await expect(setting(page, "Sign out due to inactivity")).toContainText("30 minutes");
  await expect(setting(page, "Sign out due to inactivity").getByText("Default", { exact: true })).toHaveCount(0);
  await expect(setting(page, "Maximum session duration")).toContainText("8 hours");

  // Not a number: the field says what is allowed, the stored value stays.
  await page.getByRole("button", { name: "Edit Sign out due to inactivity" }).click();
  const field = setting(page, "Sign out due to inactivity").getByLabel("Sign out due to inactivity amount");
  await field.fill("soon");
  await setting(page, "Sign out due to inactivity").getByRole("button", { name: "Save" }).click();
  await expect(setting(page, "Sign out due to inactivity").getByRole("alert")).toHaveText("Enter a whole number");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expectNoA11yViolations(page);
  // Out of range: longer than the maximum duration.
  await field.fill("9");
  await setting(page, "Sign out due to inactivity").getByLabel("Unit").selectOption("hours");
  await setting(page, "Sign out due to inactivity").getByRole("button", { name: "Save" }).click();
  await expect(setting(page, "Sign out due to inactivity").getByRole("alert")).toContainText("may not be shorter");
  await page.reload();
  await expect(setting(page, "Sign out due to inactivity")).toContainText("30 minutes");

  // Reset to default.
  await page.getByRole("button", { name: "Edit Sign out due to inactivity" }).click();
  await setting(page, "Sign out due to inactivity").getByRole("button", { name: "Reset to default" }).click();
  await expect(setting(page, "Sign out due to inactivity")).toContainText("2 hours");
  await expect(setting(page, "Sign out due to inactivity").getByText("Default", { exact: true })).toBeVisible();
});

test("a member sees the limits read-only", async ({ page }) => {
  const acme = createAccount(uniqueName("ReadOnly"));
  await signIn(page, acme.member.email, acme.password);
  await page.goto("/iam/settings");
  await expect(page.getByRole("heading", { name: "Login session" })).toBeVisible();
  await expect(page.getByText("Only the account owner and administrators can change these settings.")).toBeVisible();
  await expect(setting(page, "Concurrent sessions per user")).toContainText("Unlimited");
  await expect(page.getByRole("button", { name: /^Edit / })).toHaveCount(0);
  await expectNoA11yViolations(page);
});
