import { expect, type Browser, type Locator, type Page } from "@playwright/test";
import { adminCli, createAccount, expectNoA11yViolations, signIn, test, uniqueName } from "./support";

/** A person's browser, reaching the console from `ip` (the test server trusts x-forwarded-for). */
async function browserAt(browser: Browser, ip: string, email: string, password: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": ip } });
  const page = await context.newPage();
  await signIn(page, email, password);
  return { context, page };
}

/** Presses Tab (or Shift+Tab) until `target` has the focus: the keyboard's way there. */
async function tabTo(page: Page, target: Locator, backwards = false) {
  for (let i = 0; i < 60; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
  }
  throw new Error(`could not reach ${target} with the keyboard`);
}

/** The tab leaves by itself (its event stream says the session ended); the console
 * stays closed to it afterwards. */
async function expectSignedOut(page: Page) {
  await expect(page).toHaveURL(/\/signin\?notice=ended_by_administrator$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
}

async function expectSignedIn(page: Page) {
  await page.goto("/");
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("button", { name: /Avatar menu/ })).toBeVisible();
}

test("an administrator finds every session from a leaked range and ends them with a reason, by keyboard alone", async ({ browser }) => {
  const acme = createAccount(uniqueName("Leak"));
  const slug = acme.name.toLowerCase();
  const max = { email: `max@${slug}.test`, name: `Max ${acme.name}` };
  adminCli(["add-user", "--account", acme.name, "--email", max.email, "--name", max.name, "--role", "member"], `${acme.password}\n`);

  // Three sessions of two people from the leaked range; the owner's there too; the
  // administrator works from elsewhere.
  const mia1 = await browserAt(browser, "203.0.113.5", acme.member.email, acme.password);
  const mia2 = await browserAt(browser, "203.0.113.6", acme.member.email, acme.password);
  const maxs = await browserAt(browser, "203.0.113.77", max.email, acme.password);
  const owner = await browserAt(browser, "203.0.113.8", acme.owner.email, acme.password);
  const admin = await browserAt(browser, "198.51.100.9", acme.admin.email, acme.password);
  const page = admin.page;

  // Manage > Access (IAM) > Sessions.
  await tabTo(page, page.getByRole("button", { name: "Manage" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Access (IAM)" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
  await tabTo(page, page.getByRole("link", { name: "Sessions", exact: true }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Sessions", level: 1 })).toBeVisible();
  await expect(page.getByText("5 sessions match")).toBeVisible();
  await expectNoA11yViolations(page);

  // A malformed range is refused at its field and nothing is queried.
  const ip = page.getByLabel("IP address or range");
  await tabTo(page, ip);
  await page.keyboard.type("203.0.113.0/33");
  await page.keyboard.press("Enter");
  await expect(ip).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Enter an IP address or a CIDR range")).toBeVisible();
  await expect(page.getByText("Correct the filters above")).toBeVisible();
  await expect(page.getByRole("table")).toHaveCount(0);

  // The leaked range: four sessions, the filter in the URL.
  await ip.fill("");
  await page.keyboard.type("203.0.113.0/24");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/ip=203\.0\.113\.0%2F24/);
  await expect(page.getByText("4 sessions match")).toBeVisible();
  await expect(page.getByRole("row")).toHaveCount(5);
  // The back button returns to the previous search, and forward to this one.
  await page.goBack();
  await expect(ip).toHaveValue("203.0.113.0/33");
  await page.goForward();
  await expect(page.getByText("4 sessions match")).toBeVisible();

  await tabTo(page, page.getByRole("button", { name: "Select all 4 matching sessions" }));
  await page.keyboard.press("Enter");
  await expect(page.getByText("All 4 matching sessions selected")).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: "End sessions", exact: true }));
  await page.keyboard.press("Enter");

  const confirm = page.getByRole("alertdialog", { name: "End sessions?" });
  await expect(confirm).toBeVisible();
  await expect(confirm).toContainText("3 active sessions of 2 users will end.");
  await expect(confirm).toContainText("1 of the owner's sessions match but stay");
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await expectNoA11yViolations(page);
  // Confirming without a reason says so at the field.
  await tabTo(page, confirm.getByRole("button", { name: "End 3 sessions" }));
  await page.keyboard.press("Enter");
  await expect(confirm.getByText("Say why these sessions are ended")).toBeVisible();
  await tabTo(page, confirm.getByLabel("Reason"), true);
  await page.keyboard.type("Laptop stolen at the airport");
  await tabTo(page, confirm.getByRole("button", { name: "End 3 sessions" }));
  await page.keyboard.press("Enter");

  await expect(confirm).toBeHidden();
  await expect(page.getByRole("status")).toContainText("3 sessions of 2 users ended.");
  await expect(page.getByRole("status")).toContainText("1 of the owner's sessions were left");
  await expect(page.getByRole("status")).toBeFocused();
  await expect(page.getByText("1 session matches")).toBeVisible();

  // The holders are signed out at their next request; nobody else is.
  await expectSignedOut(mia1.page);
  await expectSignedOut(mia2.page);
  await expectSignedOut(maxs.page);
  await expectSignedIn(owner.page);
  await expectSignedIn(page);

  // The ended sessions say by whom.
  await page.goto(`/iam/sessions?ip=203.0.113.0%2F24&state=ended`);
  await expect(page.getByText("3 sessions match")).toBeVisible();
  await expect(page.getByText(`Ended by administrator ${acme.admin.name}`)).toHaveCount(3);
  for (const c of [mia1, mia2, maxs, owner, admin]) await c.context.close();
});

test("a member gets the no-access page, and one row ends from its Actions menu", async ({ browser }) => {
  const acme = createAccount(uniqueName("Rows"));
  const member = await browserAt(browser, "192.0.2.10", acme.member.email, acme.password);
  await member.page.goto("/iam/sessions");
  await expect(member.page.getByRole("heading", { name: "You don't have access to this page" })).toBeVisible();

  const owner = await browserAt(browser, "192.0.2.20", acme.owner.email, acme.password);
  await owner.page.goto("/iam/sessions?user=mia");
  await expect(owner.page.getByText("1 session matches")).toBeVisible();
  await owner.page.getByRole("button", { name: new RegExp(`^Actions for session .* of ${acme.member.name}$`) }).click();
  await owner.page.getByRole("menuitem", { name: "End session" }).click();
  const confirm = owner.page.getByRole("alertdialog", { name: "End sessions?" });
  await expect(confirm).toContainText("1 active session of 1 user will end.");
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await confirm.getByLabel("Reason").fill("Unknown device");
  await confirm.getByRole("button", { name: "End 1 session" }).click();
  await expect(owner.page.getByRole("status")).toContainText("1 session of 1 user ended.");
  await expect(owner.page.getByText("No sessions match these filters.")).toBeVisible();
  await expectSignedOut(member.page);
  await owner.context.close();
  await member.context.close();
});
