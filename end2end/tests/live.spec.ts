import { expect } from "@playwright/test";
import { createAccount, expectNoA11yViolations, hydrated, signIn, test, uniqueName } from "./support";

// The live console: each signed-in tab keeps an event stream (GET /api/v1/events).

test("the member's open tab leaves for the sign-in page by itself when an administrator ends the session", async ({ browser }) => {
  const acme = createAccount(uniqueName("Live"));
  const admin = await browser.newContext();
  const member = await browser.newContext();
  const adminPage = await admin.newPage();
  const memberPage = await member.newPage();
  await signIn(adminPage, acme.admin.email, acme.password);
  const streamOpen = memberPage.waitForResponse((r) => r.url().endsWith("/api/v1/events") && r.status() === 200);
  await signIn(memberPage, acme.member.email, acme.password);
  await streamOpen;

  await adminPage.getByRole("button", { name: "Manage" }).click();
  await adminPage.getByRole("menuitem", { name: "Access (IAM)" }).click();
  await adminPage.getByRole("link", { name: acme.member.name }).click();
  await adminPage.getByRole("button", { name: "View sessions" }).click();
  const drawer = adminPage.getByRole("dialog", { name: `Login sessions for ${acme.member.name}` });
  await drawer.getByRole("button", { name: /^Actions for session / }).click();
  await adminPage.getByRole("menuitem", { name: "End session" }).click();
  const confirm = adminPage.getByRole("alertdialog", { name: "End session?" });
  await confirm.getByRole("button", { name: "End session" }).click();

  // No click, no reload on the member's side: the tab goes by itself, within 2 s.
  await expect(memberPage).toHaveURL(/\/signin\?notice=ended_by_administrator$/, { timeout: 2_000 });
  await expect(memberPage.getByRole("status")).toHaveText("Your session was ended by an administrator. Sign in again.");
  await expectNoA11yViolations(memberPage);
  await admin.close();
  await member.close();
});

test("signing out in one tab takes the session's other tabs to the sign-in page", async ({ browser }) => {
  const acme = createAccount(uniqueName("Tabs"));
  const context = await browser.newContext();
  const first = await context.newPage();
  await signIn(first, acme.member.email, acme.password);
  const second = await context.newPage();
  const streamOpen = second.waitForResponse((r) => r.url().endsWith("/api/v1/events") && r.status() === 200);
  await second.goto("/profile/sessions");
  await streamOpen;

  await first.getByRole("button", { name: /Avatar menu/ }).click();
  await first.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(first).toHaveURL(/\/signin/);
  await expect(second).toHaveURL(/\/signin\?notice=signed_out$/, { timeout: 2_000 });
  await context.close();
});

test("an administrator's open drawer shows a new sign-in within 2 s and keeps the focus where it was", async ({ browser }) => {
  const acme = createAccount(uniqueName("Drawer"));
  const admin = await browser.newContext();
  const member = await browser.newContext();
  const adminPage = await admin.newPage();
  await signIn(adminPage, acme.admin.email, acme.password);
  await signIn(await member.newPage(), acme.member.email, acme.password);

  // The admin's stream opened with the console page; the drawer is opened in the same page.
  await adminPage.getByRole("button", { name: "Manage" }).click();
  await adminPage.getByRole("menuitem", { name: "Access (IAM)" }).click();
  await adminPage.getByRole("link", { name: acme.member.name }).click();
  await adminPage.getByRole("button", { name: "View sessions" }).click();
  const drawer = adminPage.getByRole("dialog", { name: `Login sessions for ${acme.member.name}` });
  const actions = drawer.getByRole("button", { name: /^Actions for session / });
  await expect(actions).toHaveCount(1);
  const label = await actions.first().getAttribute("aria-label");
  await actions.first().focus();

  // The member signs in from another device: the open drawer shows it by itself.
  const phone = await browser.newContext({
    userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Gecko/20100101 Firefox/133.0",
  });
  await signIn(await phone.newPage(), acme.member.email, acme.password);
  await expect(actions).toHaveCount(2, { timeout: 2_000 });
  await expect(drawer.locator(".live-changes")).toHaveText("1 new session");
  await expect(adminPage.locator(`[aria-label="${label}"]`)).toBeFocused();
  await expect(drawer).toBeVisible();
  await expectNoA11yViolations(adminPage);
  await admin.close();
  await member.close();
  await phone.close();
});

test("the account-wide Sessions page shows a new sign-in by itself and says so", async ({ browser }) => {
  const acme = createAccount(uniqueName("Wide"));
  const admin = await browser.newContext();
  const adminPage = await admin.newPage();
  await signIn(adminPage, acme.admin.email, acme.password);
  await adminPage.goto("/iam/sessions");
  await hydrated(adminPage);
  await expect(adminPage.getByRole("link", { name: acme.admin.name })).toHaveCount(1);
  const members = adminPage.getByRole("link", { name: acme.member.name });
  await expect(members).toHaveCount(0);

  const member = await browser.newContext();
  await signIn(await member.newPage(), acme.member.email, acme.password);
  await expect(members).toHaveCount(1, { timeout: 2_000 });
  await expect(adminPage.locator(".live-changes")).toHaveText("1 new session");
  await expectNoA11yViolations(adminPage);
  await admin.close();
  await member.close();
});
