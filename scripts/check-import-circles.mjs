// Runs dependency-cruiser's rules (.dependency-cruiser.cjs: no circles) over src/.
// dependency-cruiser 17 parses TypeScript only through the `typescript` package below 7, and this
// project has TypeScript 7 (no JS API), so each module is first turned into JavaScript with esbuild.
// `import type` is made a plain import before that, because type-only imports close circles too and
// esbuild would drop them.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = mkdtempSync(join(tmpdir(), "import-circles-"));

/** Every import and re-export kept as a value import, so that the graph has each edge tsc sees. */
function keepTypeImports(source) {
  return source
    .replace(/\b(import|export)\s+type\s+(\{|\*)/g, "$1 $2")
    .replace(/\{([^{}]*)\}(\s*from\s*["'])/g, (_, names, from) => `{${names.replace(/\btype\s+/g, "")}}${from}`);
}

function transpile(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) transpile(path);
    else if (entry.name.endsWith(".ts")) {
      const { code } = transformSync(keepTypeImports(readFileSync(path, "utf8")), {
        loader: "ts",
        format: "esm",
        tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      });
      const target = join(out, relative(root, path)).replace(/\.ts$/, ".js");
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, code);
    }
  }
}

try {
  transpile(join(root, "src"));
  execFileSync(join(root, "node_modules", ".bin", "depcruise"), ["src", "--config", join(root, ".dependency-cruiser.cjs"), "--output-type", "err"], {
    cwd: out,
    stdio: "inherit",
  });
} catch (err) {
  process.exitCode = typeof err.status === "number" ? err.status || 1 : 1;
  if (typeof err.status !== "number") console.error(err);
} finally {
  rmSync(out, { recursive: true, force: true });
}
