import { expect, type Browser, type Page } from "@playwright/test";
import { createAccount, expectNoA11yViolations, signIn, test, uniqueName } from "./support";

async function signedIn(browser: Browser, email: string, password: string, userAgent?: string) {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  const page = await context.newPage();
  await signIn(page, email, password);
  return { context, page };
}

/** Avatar > Profile > Sessions. */
async function openOwnSessions(page: Page) {
  await page.getByRole("button", { name: /Avatar menu/ }).click();
  await page.getByRole("menuitem", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Details" })).toBeVisible();
  await page.getByRole("navigation", { name: "Profile" }).getByRole("link", { name: "Sessions" }).click();
  await expect(page.getByRole("heading", { name: "Sessions", level: 2 })).toBeVisible();
}

const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

test("a user ends a session of theirs, then all others, then all", async ({ browser }) => {
  const acme = createAccount(uniqueName("Self"));
  const first = await signedIn(browser, acme.member.email, acme.password);
  const second = await signedIn(browser, acme.member.email, acme.password, FIREFOX);

  await openOwnSessions(first.page);
  const actions = first.page.getByRole("button", { name: /^Actions for session / });
  await expect(actions).toHaveCount(2);
  const thisRow = first.page.getByRole("row").filter({ hasText: "This session" });
  await expect(thisRow).toHaveCount(1);
  await expect(thisRow).not.toContainText("Firefox");

  // End the second browser's session from the first.
  await first.page.getByRole("button", { name: /^Actions for session Firefox/ }).click();
  await first.page.getByRole("menuitem", { name: "End session" }).click();
  const confirm = first.page.getByRole("alertdialog", { name: "End session?" });
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await confirm.getByRole("button", { name: "End session" }).click();
  await expect(first.page.getByRole("status")).toHaveText("Session ended");
  await expect(actions).toHaveCount(1);

  // The second browser's open tab leaves by itself.
  await expect(second.page).toHaveURL(/\/signin\?notice=ended_elsewhere$/);
  await expect(second.page.getByRole("status")).toHaveText(
    "Your session was ended from another of your sessions. Sign in again.",
  );

  // Sign the second browser in again; End all other sessions keeps the first.
  await signIn(second.page, acme.member.email, acme.password);
  await first.page.getByRole("radio", { name: "All" }).check();
  await first.page.getByRole("radio", { name: "Active" }).check();
  await expect(actions).toHaveCount(2);
  await first.page.getByRole("button", { name: "End all other sessions" }).click();
  const others = first.page.getByRole("alertdialog", { name: "End all other sessions?" });
  await expect(others).toContainText("This session stays signed in");
  await others.getByRole("button", { name: "End other sessions" }).click();
  await expect(first.page.getByRole("status")).toHaveText("1 session ended");
  await expect(actions).toHaveCount(1);
  await first.page.reload();
  await expect(first.page.getByRole("heading", { name: "Sessions", level: 2 })).toBeVisible();
  await expect(second.page).toHaveURL(/\/signin\?notice=ended_elsewhere$/);

  // End all sessions signs this browser out too.
  await first.page.getByRole("button", { name: "End all sessions" }).click();
  const all = first.page.getByRole("alertdialog", { name: "End all sessions?" });
  await expect(all).toContainText("you will be signed out here too");
  await all.getByRole("button", { name: "End all sessions" }).click();
  await expect(first.page).toHaveURL(/\/signin\?notice=signed_out$/);
  await first.page.goto("/profile");
  await expect(first.page).toHaveURL(/\/signin/);
  await first.context.close();
  await second.context.close();
});

test("a session ended by an administrator shows under Ended with their name and the reason", async ({ browser }) => {
  const acme = createAccount(uniqueName("Seen"));
  const member = await signedIn(browser, acme.member.email, acme.password);
  const laptop = await signedIn(browser, acme.member.email, acme.password, FIREFOX);
  const admin = await signedIn(browser, acme.admin.email, acme.password);

  await admin.page.goto("/iam/users");
  await admin.page.getByRole("link", { name: acme.member.name }).click();
  await admin.page.getByRole("button", { name: "View sessions" }).click();
  await admin.page.getByRole("button", { name: /^Actions for session Firefox/ }).click();
  await admin.page.getByRole("menuitem", { name: "End session" }).click();
  await admin.page.getByRole("alertdialog").getByRole("button", { name: "End session" }).click();
  await expect(admin.page.getByRole("status")).toHaveText("Session ended");

  await openOwnSessions(member.page);
  await member.page.getByRole("radio", { name: "Ended" }).check();
  const row = member.page.getByRole("row").filter({ hasText: "Firefox" });
  await expect(row).toContainText(`Ended by administrator ${acme.admin.name}`);
  await member.context.close();
  await laptop.context.close();
  await admin.context.close();
});

test("no accessibility violations on the profile, its sessions and their overlays", async ({ browser }) => {
  const acme = createAccount(uniqueName("AxeProfile"));
  const first = await signedIn(browser, acme.member.email, acme.password);
  const second = await signedIn(browser, acme.member.email, acme.password, FIREFOX);
  const page = first.page;
  await page.getByRole("button", { name: /Avatar menu/ }).click();
  await expectNoA11yViolations(page);
  await page.getByRole("menuitem", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Details" })).toBeVisible();
  await expectNoA11yViolations(page);
  await page.goto("/profile/sessions");
  await expect(page.getByRole("button", { name: /^Actions for session / })).toHaveCount(2);
  await expectNoA11yViolations(page);
  await page.getByRole("button", { name: /^Actions for session Firefox/ }).click();
  await expectNoA11yViolations(page);
  await page.getByRole("menuitem", { name: "End session" }).click();
  await expect(page.getByRole("alertdialog")).toBeVisible();
  await expectNoA11yViolations(page);
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "End all sessions" }).click();
  await expect(page.getByRole("alertdialog", { name: "End all sessions?" })).toBeVisible();
  await expectNoA11yViolations(page);
  await first.context.close();
  await second.context.close();
});
