import { readFileSync } from "node:fs";

/** One static file of the page. */
export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** The page's files by URL path. */
export type Assets = ReadonlyMap<string, Asset>;

/** Folder of the built page: index.html, style.css and the bundled app.js (committed, so no build runs at start). */
export const PUBLIC_DIR = new URL("./public/", import.meta.url);

const FILES = [
  ["/", "index.html", "text/html; charset=utf-8"],
  ["/style.css", "style.css", "text/css; charset=utf-8"],
  ["/app.js", "app.js", "text/javascript; charset=utf-8"],
] as const;

/** Reads the page's files once; throws naming the missing file (run `npm run build:ui`). */
export function loadAssets(): Assets {
  return new Map(
    FILES.map(([path, file, type]) => {
      try {
        return [path, { body: new Uint8Array(readFileSync(new URL(file, PUBLIC_DIR))), type }] as const;
      } catch (cause) {
        throw new Error(`console asset src/ui/public/${file} is missing; run \`npm run build:ui\``, { cause });
      }
    }),
  );
}
