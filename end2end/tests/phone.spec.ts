import { expect, type Browser, type Locator, type Page } from "@playwright/test";
import { createAccount, expectNoA11yViolations, signIn, test, uniqueName } from "./support";

const PHONE = { width: 390, height: 844 };
const ANDROID =
  "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

async function onPhone(browser: Browser, email: string, password: string) {
  const context = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 3,
    userAgent: ANDROID,
  });
  const page = await context.newPage();
  await page.goto("/signin");
  await expectFits(page);
  await signIn(page, email, password);
  return { context, page };
}

async function onDesktop(browser: Browser, email: string, password: string, userAgent?: string) {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  const page = await context.newPage();
  await signIn(page, email, password);
  return { context, page };
}

/** The page itself never scrolls sideways, and axe finds nothing at this size. */
async function expectFits(page: Page) {
  const { scroll, client, wide } = await page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    // What sticks out, for the failure message.
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > client + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} (${Math.round(el.getBoundingClientRect().right)} px)`);
    return { scroll: document.documentElement.scrollWidth, client, wide };
  });
  expect(scroll, `${page.url()} scrolls sideways: ${wide.join(", ")}`).toBeLessThanOrEqual(client);
  await expectNoA11yViolations(page);
}

/** Wholly on screen, and big enough for a finger. */
async function expectReachable(target: Locator) {
  await expect(target).toBeVisible();
  const box = (await target.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
  expect(box.width).toBeGreaterThanOrEqual(44);
  expect(box.height).toBeGreaterThanOrEqual(44);
}

test("on a phone, an administrator ends a member's session, and every console page fits the screen", async ({ browser }) => {
  const acme = createAccount(uniqueName("Phone"));
  const member = await onDesktop(browser, acme.member.email, acme.password);
  const admin = await onPhone(browser, acme.admin.email, acme.password);
  const page = admin.page;
  await expectFits(page);
  await expectReachable(page.getByRole("button", { name: "Manage" }));
  await expectReachable(page.getByRole("button", { name: /Avatar menu/ }));

  // Manage > Access (IAM) > Users > the member > View sessions, by touch.
  await page.getByRole("button", { name: "Manage" }).tap();
  await page.getByRole("menuitem", { name: "Access (IAM)" }).tap();
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
  await expectFits(page);
  await page.getByRole("link", { name: acme.member.name }).tap();
  await expect(page.getByRole("heading", { name: acme.member.name, level: 1 })).toBeVisible();
  await expectFits(page);
  await page.getByRole("button", { name: "View sessions" }).tap();
  const drawer = page.getByRole("dialog", { name: `Login sessions for ${acme.member.name}` });
  await expect(drawer).toBeVisible();
  const drawerBox = (await drawer.boundingBox())!;
  expect(drawerBox.width).toBeGreaterThanOrEqual(PHONE.width - 1);
  await expectNoA11yViolations(page);

  // The row's Actions button is on screen without scrolling sideways.
  const actions = drawer.getByRole("button", { name: /^Actions for session / });
  await expect(actions).toHaveCount(1);
  await expectReachable(actions);
  await actions.tap();
  await page.getByRole("menuitem", { name: "End session" }).tap();
  const confirm = page.getByRole("alertdialog", { name: "End session?" });
  await expect(confirm).toBeVisible();
  await expectReachable(confirm.getByRole("button", { name: "End session" }));
  await expectReachable(confirm.getByRole("button", { name: "Cancel" }));
  await expectNoA11yViolations(page);
  // With the on-screen keyboard open half the screen is gone: the dialog still fits,
  // and its buttons are reachable by scrolling it.
  await page.setViewportSize({ width: PHONE.width, height: 420 });
  const confirmBox = (await confirm.boundingBox())!;
  expect(confirmBox.y + confirmBox.height).toBeLessThanOrEqual(420);
  await confirm.getByRole("button", { name: "End session" }).scrollIntoViewIfNeeded();
  await expectReachable(confirm.getByRole("button", { name: "End session" }));
  await expect(confirm.getByRole("button", { name: "End session" })).toBeInViewport();
  await page.setViewportSize(PHONE);
  await confirm.getByRole("button", { name: "End session" }).tap();
  await expect(drawer.getByRole("status")).toHaveText("Session ended");
  await expect(member.page).toHaveURL(/\/signin\?notice=ended_by_administrator$/);

  // The other console pages fit too.
  for (const [path, heading] of [
    ["/iam/sessions?state=all", "Sessions"],
    ["/iam/audit", "Audit log"],
    ["/iam/settings", "Settings"],
    ["/profile", acme.admin.name],
  ]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    await expectFits(page);
  }
  await page.goto("/iam/audit");
  const details = page.getByRole("button", { name: /^Details of / }).first();
  await expectReachable(details);
  await details.tap();
  await expectFits(page);

  // And on the narrowest phones in use, 320 px wide.
  await page.setViewportSize({ width: 320, height: 640 });
  for (const path of ["/", "/iam/users", "/iam/sessions?state=all", "/iam/audit", "/iam/settings", "/profile/sessions"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expectFits(page);
  }
  await expect(page.getByRole("button", { name: /Avatar menu/ })).toBeInViewport();
  for (const c of [admin, member]) await c.context.close();
});

test("on a phone, a person ends their other device's session from Profile > Sessions", async ({ browser }) => {
  const acme = createAccount(uniqueName("Pocket"));
  // The sign-in page on the narrowest phones in use.
  const narrow = await browser.newContext({ viewport: { width: 320, height: 568 }, isMobile: true, hasTouch: true });
  const narrowPage = await narrow.newPage();
  await narrowPage.goto("/signin");
  await expectFits(narrowPage);
  await expectReachable(narrowPage.getByRole("button", { name: "Sign in" }));
  await narrow.close();

  const laptop = await onDesktop(browser, acme.member.email, acme.password, FIREFOX);
  const phone = await onPhone(browser, acme.member.email, acme.password);
  const page = phone.page;

  await page.getByRole("button", { name: /Avatar menu/ }).tap();
  await page.getByRole("menuitem", { name: "Profile" }).tap();
  await page.getByRole("navigation", { name: "Profile" }).getByRole("link", { name: "Sessions" }).tap();
  await expect(page.getByRole("heading", { name: "Sessions", level: 2 })).toBeVisible();
  await expectFits(page);
  const thisCard = page.getByRole("row").filter({ hasText: "This session" });
  await expect(thisCard).toContainText("Android");
  const laptopActions = page.getByRole("button", { name: /^Actions for session Firefox/ });
  await expectReachable(laptopActions);
  await laptopActions.tap();
  await page.getByRole("menuitem", { name: "End session" }).tap();
  const confirm = page.getByRole("alertdialog", { name: "End session?" });
  await expectReachable(confirm.getByRole("button", { name: "End session" }));
  await confirm.getByRole("button", { name: "End session" }).tap();
  await expect(page.getByRole("status")).toHaveText("Session ended");
  await expect(laptop.page).toHaveURL(/\/signin\?notice=ended_elsewhere$/);
  for (const c of [phone, laptop]) await c.context.close();
});
