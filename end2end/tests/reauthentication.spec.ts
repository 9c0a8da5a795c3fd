import { expect } from "@playwright/test";
import { createAccount, expectNoA11yViolations, hydrated, signIn, test, uniqueName } from "./support";

// This server asks for the password before every sensitive action (scripts/e2e.sh
// starts it with a zero re-authentication window, on its own database).
const reauthBase = process.env.REAUTH_BASE_URL ?? "http://127.0.0.1:3101";
const reauthDatabase = process.env.REAUTH_DATABASE_URL;
test.use({ baseURL: reauthBase });

test("every sensitive action asks for the password in the same dialog", async ({ page, browser }) => {
  const acme = createAccount(uniqueName("Reauth"), reauthDatabase);
  const member = await browser.newContext({ baseURL: reauthBase });
  await signIn(await member.newPage(), acme.member.email, acme.password);
  await signIn(page, acme.admin.email, acme.password);

  // A settings change: the dialog, a wrong password said at the field, then saved.
  await page.goto("/iam/settings");
  await hydrated(page);
  await page.getByRole("button", { name: "Edit Sign out due to inactivity" }).click();
  await page.getByLabel("Sign out due to inactivity amount").fill("30");
  await page.getByLabel("Unit").selectOption("minutes");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  const confirm = page.getByRole("alertdialog", { name: "Confirm it is you" });
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await expectNoA11yViolations(page);
  await confirm.getByLabel("Password").fill("not the password");
  await confirm.getByRole("button", { name: "Save change" }).click();
  await expect(confirm.getByText("The password is incorrect")).toBeVisible();
  await confirm.getByLabel("Password").fill(acme.password);
  await confirm.getByRole("button", { name: "Save change" }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByRole("status")).toHaveText("Sign out due to inactivity saved");
  await expect(page.locator(".setting").filter({ hasText: "Sign out due to inactivity" })).toContainText("30 minutes");

  // An administrator's End all sessions of another user: the same password field.
  await page.goto("/iam/users");
  await hydrated(page);
  await page.getByRole("link", { name: acme.member.name }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "View sessions" }).click();
  const drawer = page.getByRole("dialog", { name: `Login sessions for ${acme.member.name}` });
  await drawer.getByRole("button", { name: "End all sessions" }).click();
  const endAll = page.getByRole("alertdialog", { name: "End all sessions?" });
  await endAll.getByRole("button", { name: "End all sessions" }).click();
  await expect(endAll.getByText("Enter your password to confirm", { exact: true })).toBeVisible();
  await endAll.getByLabel("Password").fill(acme.password);
  await endAll.getByRole("button", { name: "End all sessions" }).click();
  await expect(drawer.getByRole("status")).toHaveText("1 session ended");
  await member.close();
});
