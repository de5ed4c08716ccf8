#!/usr/bin/env -S npx tsx
// Bundles the console's front end (src/ui/web) into src/ui/public/app.js, which is committed: `npm run build:ui`.
import { buildUi } from "./ui-bundle.ts";

await buildUi();
