import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SRC = join(ROOT, "src");
const DOC = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");

/** The layers docs/architecture.md lists, lowest first: each module (a folder, or a file at the top of src/) to its layer. */
function layers(): Map<string, number> {
  const section = DOC.split(/^## /m).find((s) => s.startsWith("Layers\n"));
  assert.ok(section, 'docs/architecture.md has a "## Layers" section');
  const layer = new Map<string, number>();
  for (const [, rank, names] of section.matchAll(/^(\d+)\. ((?:`[^`]+`(?:, )?)+):/gm)) {
    for (const [, name] of names!.matchAll(/`([^`]+)`/g)) layer.set(name!, Number(rank));
  }
  return layer;
}

/** The module a path under src/ belongs to: its top folder, or the file itself at the top. */
function moduleOf(path: string): string {
  return relative(SRC, path).split("/")[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every relative import of `file` (static, re-export, type-only or dynamic), as an absolute path. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)"(\.{1,2}\/[^"]+\.ts)"/gm)].map((m) => resolve(dirname(file), m[1]!));
}

test("architecture: every module of src/ has a layer in docs/architecture.md", () => {
  const layer = layers();
  const modules = new Set(readdirSync(SRC).filter((name) => !name.startsWith(".")));
  assert.deepEqual([...modules].filter((m) => !layer.has(m)), [], "add these to the Layers list");
  assert.deepEqual([...layer.keys()].filter((m) => !modules.has(m)), [], "the Layers list names modules src/ does not have");
});

test("architecture: imports in src/ only point down the layers", () => {
  const layer = layers();
  const wrong: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = moduleOf(file);
    for (const target of importsOf(file)) {
      const to = moduleOf(target);
      if (to === from) continue;
      if (!(layer.get(from)! > layer.get(to)!)) wrong.push(`${relative(ROOT, file)} (layer ${layer.get(from)}) imports ${relative(ROOT, target)} (layer ${layer.get(to)})`);
    }
  }
  assert.deepEqual(wrong, [], "move the code, take a callback, or change the map if the layering really changed");
});

test("architecture: every package.json export is in the public entries table with its source", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string | { default: string }>; bin: Record<string, string> };
  const entries = Object.entries(pkg.exports).filter(([key]) => key !== "./package.json");
  for (const [key, target] of entries) {
    const dist = typeof target === "string" ? target : target.default;
    const source = dist.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts");
    const name = key === "." ? "natter" : `natter/${key.slice(2)}`;
    assert.match(DOC, new RegExp(`^\\| \`${name}\` \\| \`${source}\` \\|`, "m"), `docs/architecture.md: a row "| \`${name}\` | \`${source}\` |"`);
  }
  for (const bin of Object.values(pkg.bin)) {
    const source = bin.replace(/^dist\//, "src/").replace(/\.js$/, ".ts");
    assert.match(DOC, new RegExp(`\\| \`${source}\` \\|`), `docs/architecture.md: a row for the bin ${source}`);
  }
});
