import { expect } from "@playwright/test";
import { createAccount, expectNoA11yViolations, signIn, test, uniqueName } from "./support";

// Two server processes on one Postgres database (scripts/e2e.sh always starts them):
// the administrator's browser talks to node A, the member's to node B.
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through scripts/e2e.sh`);
  return value;
}
const nodeA = required("CLUSTER_A_URL");
const nodeB = required("CLUSTER_B_URL");
const database = required("CLUSTER_DATABASE_URL");

test("an administrator on node A ends a member's session; node B signs the member out at the next navigation", async ({ browser }) => {
  const acme = createAccount(uniqueName("Cluster"), database);
  const admin = await browser.newContext({ baseURL: nodeA });
  const member = await browser.newContext({ baseURL: nodeB });
  const adminPage = await admin.newPage();
  const memberPage = await member.newPage();
  await signIn(adminPage, acme.admin.email, acme.password);
  await signIn(memberPage, acme.member.email, acme.password);

  // Node A lists the session the member opened on node B.
  await adminPage.getByRole("button", { name: "Manage" }).click();
  await adminPage.getByRole("menuitem", { name: "Access (IAM)" }).click();
  await adminPage.getByRole("link", { name: acme.member.name }).click();
  await adminPage.getByRole("button", { name: "View sessions" }).click();
  const drawer = adminPage.getByRole("dialog", { name: `Login sessions for ${acme.member.name}` });
  await expect(drawer).toBeVisible();
  const actions = drawer.getByRole("button", { name: /^Actions for session / });
  await expect(actions).toHaveCount(1);
  await actions.click();
  await adminPage.getByRole("menuitem", { name: "End session" }).click();
  const confirm = adminPage.getByRole("alertdialog", { name: "End session?" });
  await confirm.getByRole("button", { name: "End session" }).click();
  await expect(drawer.getByRole("status")).toHaveText("Session ended");

  // Node B's event stream hears of it (Postgres NOTIFY) and the member's tab leaves.
  await expect(memberPage).toHaveURL(/\/signin\?notice=ended_by_administrator$/, { timeout: 2_000 });
  await expect(memberPage.getByRole("status")).toHaveText("Your session was ended by an administrator. Sign in again.");
  await expectNoA11yViolations(memberPage);
  // And node B refuses the cookie at its next request.
  await memberPage.goto("/");
  await expect(memberPage).toHaveURL(/\/signin$/);
  // The administrator's own session, on node A, is untouched.
  await adminPage.reload();
  await expect(adminPage.getByRole("button", { name: /Avatar menu/ })).toBeVisible();
  await admin.close();
  await member.close();
});
