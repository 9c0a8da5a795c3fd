import { expect, type Browser, type Page } from "@playwright/test";
import { createAccount, expectNoA11yViolations, signIn, test, type TestAccount, uniqueName } from "./support";

async function signedIn(browser: Browser, email: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email, password);
  return { context, page };
}

/** Manage > Access (IAM) > Users > the user > View sessions, with the mouse. */
async function openSessionsOf(page: Page, name: string) {
  await page.getByRole("button", { name: "Manage" }).click();
  await page.getByRole("menuitem", { name: "Access (IAM)" }).click();
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
  await page.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "View sessions" }).click();
  const drawer = page.getByRole("dialog", { name: `Login sessions for ${name}` });
  await expect(drawer).toBeVisible();
  return drawer;
}

/** The member's open tab leaves by itself, showing why; the console stays closed. */
async function expectSignedOutWithMessage(page: Page) {
  await expect(page).toHaveURL(/\/signin\?notice=ended_by_administrator$/);
  await expect(page.getByRole("status")).toHaveText("Your session was ended by an administrator. Sign in again.");
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
}

test("an administrator ends a member's browser session; the member is signed out at the next navigation", async ({ browser }) => {
  const acme: TestAccount = createAccount(uniqueName("End"));
  const admin = await signedIn(browser, acme.admin.email, acme.password);
  const member = await signedIn(browser, acme.member.email, acme.password);

  const drawer = await openSessionsOf(admin.page, acme.member.name);
  const actions = drawer.getByRole("button", { name: /^Actions for session / });
  await expect(actions).toHaveCount(1);
  await expect(drawer.getByRole("cell", { name: "Browser", exact: true })).toBeVisible();
  await actions.click();
  await admin.page.getByRole("menuitem", { name: "End session" }).click();

  const confirm = admin.page.getByRole("alertdialog", { name: "End session?" });
  await expect(confirm).toBeVisible();
  await expect(confirm).toContainText("must enter their credentials again");
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await confirm.getByRole("button", { name: "End session" }).click();

  await expect(confirm).toBeHidden();
  await expect(drawer.getByRole("status")).toHaveText("Session ended");
  await expect(actions).toHaveCount(0);
  await expect(drawer.getByText("has no active sessions")).toBeVisible();

  await drawer.getByRole("radio", { name: "Ended" }).check();
  await expect(drawer.getByText(`Ended by administrator ${acme.admin.name}`)).toBeVisible();

  await expectSignedOutWithMessage(member.page);
  await admin.context.close();
  await member.context.close();
});

test("the same flow with the keyboard alone", async ({ browser }) => {
  const acme = createAccount(uniqueName("Keyboard"));
  const admin = await signedIn(browser, acme.admin.email, acme.password);
  const member = await signedIn(browser, acme.member.email, acme.password);
  const page = admin.page;

  // From the header: Manage menu by keyboard.
  await page.getByRole("button", { name: "Manage" }).focus();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Access (IAM)" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();

  const link = page.getByRole("link", { name: acme.member.name });
  await tabTo(page, link);
  await page.keyboard.press("Enter");
  const viewSessions = page.getByRole("button", { name: "View sessions" });
  await tabTo(page, viewSessions);
  await page.keyboard.press("Enter");
  const drawer = page.getByRole("dialog", { name: `Login sessions for ${acme.member.name}` });
  await expect(drawer).toBeVisible();

  const actions = drawer.getByRole("button", { name: /^Actions for session / });
  await tabTo(page, actions);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "End session" })).toBeFocused();
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("alertdialog", { name: "End session?" });
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(confirm.getByRole("button", { name: "End session" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(drawer.getByRole("status")).toHaveText("Session ended");
  // The ended row took the focus with it: it moves to the status message.
  await expect(drawer.getByRole("status")).toBeFocused();

  // Escape closes the drawer and gives focus back to the button that opened it.
  await page.keyboard.press("Escape");
  await expect(drawer).toBeHidden();
  await expect(viewSessions).toBeFocused();

  await expectSignedOutWithMessage(member.page);
  await admin.context.close();
  await member.context.close();
});

async function tabTo(page: Page, target: ReturnType<Page["getByRole"]>) {
  for (let i = 0; i < 40; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target).toBeFocused();
}

test("Cancel and Escape end nothing, and focus returns to the row's Actions button", async ({ browser }) => {
  const acme = createAccount(uniqueName("Cancel"));
  const admin = await signedIn(browser, acme.admin.email, acme.password);
  const member = await signedIn(browser, acme.member.email, acme.password);
  const drawer = await openSessionsOf(admin.page, acme.member.name);
  const actions = drawer.getByRole("button", { name: /^Actions for session / });
  const confirm = admin.page.getByRole("alertdialog", { name: "End session?" });

  await actions.click();
  await admin.page.getByRole("menuitem", { name: "End session" }).click();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toBeHidden();
  await expect(actions).toBeFocused();

  await actions.click();
  await admin.page.getByRole("menuitem", { name: "End session" }).click();
  await expect(confirm).toBeVisible();
  await admin.page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  await expect(drawer).toBeVisible();
  await expect(actions).toHaveCount(1);

  await member.page.reload();
  await expect(member.page.getByRole("heading", { name: `Welcome, ${acme.member.name}` })).toBeVisible();
  await admin.context.close();
  await member.context.close();
});

test("End all sessions ends browser and CLI sessions; the CLI's refresh then fails", async ({ browser, request }) => {
  const acme = createAccount(uniqueName("All"));
  const admin = await signedIn(browser, acme.admin.email, acme.password);
  const member = await signedIn(browser, acme.member.email, acme.password);
  const token = await request.post("/api/v1/auth/token", {
    form: { grant_type: "password", username: acme.member.email, password: acme.password },
    headers: { "user-agent": "session-console-cli/1.4.2 (linux; x86_64)" },
  });
  expect(token.status()).toBe(200);
  const tokens = await token.json();

  const drawer = await openSessionsOf(admin.page, acme.member.name);
  await expect(drawer.getByRole("button", { name: /^Actions for session / })).toHaveCount(2);
  await expect(drawer.getByRole("cell", { name: "CLI", exact: true })).toBeVisible();
  await drawer.getByRole("button", { name: "End all sessions" }).click();
  const confirm = admin.page.getByRole("alertdialog", { name: "End all sessions?" });
  await expect(confirm).toContainText("All 2 of this user's active sessions will end");
  await confirm.getByRole("button", { name: "End all sessions" }).click();
  await expect(drawer.getByRole("status")).toHaveText("2 sessions ended");
  await expect(drawer.getByRole("button", { name: /^Actions for session / })).toHaveCount(0);

  const refresh = await request.post("/api/v1/auth/token", {
    form: { grant_type: "refresh_token", refresh_token: tokens.refresh_token },
  });
  expect(refresh.status()).toBe(400);
  expect((await refresh.json()).error).toBe("invalid_grant");
  const me = await request.get("/api/v1/me", { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(me.status()).toBe(401);
  await expectSignedOutWithMessage(member.page);
  await admin.context.close();
  await member.context.close();
});

test("a member gets the 403 page at the users page", async ({ page }) => {
  const acme = createAccount(uniqueName("Member"));
  await signIn(page, acme.member.email, acme.password);
  const response = await page.goto("/iam/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You don't have access to this page" })).toBeVisible();
  await expectNoA11yViolations(page);
});

test("no accessibility violations on the users page, the user page, the drawer, the menu and the confirmation", async ({ browser }) => {
  const acme = createAccount(uniqueName("Axe"));
  const admin = await signedIn(browser, acme.owner.email, acme.password);
  const member = await signedIn(browser, acme.member.email, acme.password);
  const page = admin.page;
  await page.getByRole("button", { name: "Manage" }).click();
  await expectNoA11yViolations(page);
  await page.getByRole("menuitem", { name: "Access (IAM)" }).click();
  await expect(page.getByRole("link", { name: acme.member.name })).toBeVisible();
  await expectNoA11yViolations(page);
  await page.getByRole("link", { name: acme.member.name }).click();
  await expect(page.getByRole("button", { name: "View sessions" })).toBeVisible();
  await expectNoA11yViolations(page);
  await page.getByRole("button", { name: "View sessions" }).click();
  const drawer = page.getByRole("dialog", { name: `Login sessions for ${acme.member.name}` });
  await expect(drawer.getByRole("button", { name: /^Actions for session / })).toBeVisible();
  await expectNoA11yViolations(page);
  await drawer.getByRole("button", { name: /^Actions for session / }).click();
  await expect(page.getByRole("menuitem", { name: "End session" })).toBeVisible();
  await expectNoA11yViolations(page);
  await page.getByRole("menuitem", { name: "End session" }).click();
  await expect(page.getByRole("alertdialog", { name: "End session?" })).toBeVisible();
  await expectNoA11yViolations(page);
  await admin.context.close();
  await member.context.close();
});

test("the users page searches on the server", async ({ page }) => {
  const acme = createAccount(uniqueName("Search"));
  await signIn(page, acme.owner.email, acme.password);
  await page.goto("/iam/users");
  await expect(page.getByText("Showing 1–3 of 3 users")).toBeVisible();
  await page.getByLabel("Search by name or email").fill(acme.member.email.toUpperCase());
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.getByText("Showing 1–1 of 1 user")).toBeVisible();
  await expect(page.getByRole("link", { name: acme.member.name })).toBeVisible();
  await page.getByLabel("Search by name or email").fill("nobody-matches-this");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.getByText("No users match “nobody-matches-this”.")).toBeVisible();
});
