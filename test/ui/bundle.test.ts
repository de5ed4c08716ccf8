import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BUNDLE, buildUi } from "../../scripts/ui-bundle.ts";

test("ui: the committed app.js is the bundle of src/ui/web (run `npm run build:ui` after changing the front end)", async () => {
  const built = await buildUi(false);
  assert.ok(built === readFileSync(BUNDLE, "utf8"), "src/ui/public/app.js is out of date: run `npm run build:ui` and commit it");
});
