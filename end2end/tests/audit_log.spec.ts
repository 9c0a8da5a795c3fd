import { expect, type Browser } from "@playwright/test";
import { readFileSync } from "node:fs";
import { createAccount, expectNoA11yViolations, signIn, test, uniqueName } from "./support";

async function browserAt(browser: Browser, ip: string, email: string, password: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": ip } });
  const page = await context.newPage();
  await signIn(page, email, password);
  return { context, page };
}

test("an owner ends a session with a reason, finds its event in the audit log by filter, and exports it", async ({ browser }) => {
  const acme = createAccount(uniqueName("Audit"));
  const member = await browserAt(browser, "203.0.113.5", acme.member.email, acme.password);
  const owner = await browserAt(browser, "198.51.100.9", acme.owner.email, acme.password);
  const page = owner.page;

  // End the member's session with a reason.
  await page.goto(`/iam/sessions?user=${encodeURIComponent(acme.member.email)}`);
  await expect(page.getByText("1 session matches")).toBeVisible();
  await page.getByRole("button", { name: new RegExp(`^Actions for session .* of ${acme.member.name}$`) }).click();
  await page.getByRole("menuitem", { name: "End session" }).click();
  const confirm = page.getByRole("alertdialog", { name: "End sessions?" });
  await confirm.getByLabel("Reason").fill("Phishing report 4711");
  await confirm.getByRole("button", { name: "End 1 session" }).click();
  await expect(page.getByRole("status")).toContainText("1 session of 1 user ended.");

  // Manage > Access (IAM) > Audit log.
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log", level: 1 })).toBeVisible();
  await expect(page.getByRole("cell", { name: "Signed in" }).first()).toBeVisible();
  await expectNoA11yViolations(page);

  // Filter: sessions ended, of the member; the filter is in the URL.
  await page.getByLabel("Event type").selectOption({ label: "Session ended" });
  await page.getByLabel("Target user").fill(acme.member.email);
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/event=session\.ended/);
  await expect(page.getByText("1 event on this page")).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: "Session ended" });
  await expect(row).toContainText(acme.owner.name);
  await expect(row).toContainText(acme.member.name);
  await expect(row).toContainText("198.51.100.9");

  // Its details open under it, by keyboard.
  const details = page.getByRole("button", { name: /^Details of Session ended at / });
  await details.focus();
  await page.keyboard.press("Enter");
  await expect(details).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByText("Phishing report 4711")).toBeVisible();
  await expect(page.getByText("Ended by an administrator")).toBeVisible();
  await expectNoA11yViolations(page);

  // A filter the browser can tell is wrong is refused at its field, and not sent.
  await page.goto("/iam/audit?ip=203.0.113.0%2F33");
  await expect(page.getByText("Correct the filters above to see matching events.")).toBeVisible();
  await expect(page.getByLabel("IP address or range")).toHaveAttribute("aria-invalid", "true");

  // Export what the filter matches, as CSV and as JSON Lines.
  await page.goto(`/iam/audit?event=session.ended&target=${encodeURIComponent(acme.member.email)}`);
  await expect(page.getByText("1 event on this page")).toBeVisible();
  const csvDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const csv = await csvDownload;
  expect(csv.suggestedFilename()).toMatch(/^audit-events-.*\.csv$/);
  const csvText = readFileSync((await csv.path())!, "utf8");
  const lines = csvText.trim().split("\n");
  expect(lines[0]).toBe("occurred_at,event,actor_id,actor_name,actor_email,target_user_id,target_name,target_email,session_id,ip,user_agent,details");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain("session.ended");
  expect(lines[1]).toContain("Phishing report 4711");

  const jsonDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export JSON Lines" }).click();
  const jsonl = readFileSync((await (await jsonDownload).path())!, "utf8");
  const events = jsonl.trim().split("\n").map((line) => JSON.parse(line));
  expect(events).toHaveLength(1);
  expect(events[0].event).toBe("session.ended");
  expect(events[0].details.note).toBe("Phishing report 4711");
  expect(events[0].actor.email).toBe(acme.owner.email);

  // Members get the no-access page.
  const other = await browserAt(browser, "203.0.113.6", acme.member.email, acme.password);
  await other.page.goto("/iam/audit");
  await expect(other.page.getByRole("heading", { name: "You don't have access to this page" })).toBeVisible();
  for (const c of [member, owner, other]) await c.context.close();
});
