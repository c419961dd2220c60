// Builds the web client into web/dist, which is committed and embedded in the server binary
// (so running the server needs neither Node.js nor the network).
//
//   node build.mjs          build web/dist (what `npm run build` does after type-checking)
//   node build.mjs --check  build in memory and fail if web/dist differs (scripts/test.sh)
//
// Output: index.html (never cached by browsers: it names the current assets) and
// assets/<name>-<content hash>.{js,css} (cached forever), each with .gz and .br beside it so
// the server can send them compressed without compressing per request.

import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const dist = join(here, "dist");
const check = process.argv.includes("--check");

/** The whole client must stay well under this, gzipped (the budget is 200 KB). */
const BUDGET_GZIP_BYTES = 100 * 1024;

const hash = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 10);

async function bundle(entry, loader) {
  const out = await esbuild.build({
    entryPoints: [join(src, entry)],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
    loader,
    legalComments: "none",
    charset: "utf8",
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0].contents;
}

/** path (relative to dist) → bytes, uncompressed files only. */
async function build() {
  const js = await bundle("main.ts");
  const css = await bundle("styles.css", { ".css": "css" });
  const jsName = `app-${hash(js)}.js`;
  const cssName = `app-${hash(css)}.css`;
  const html = readFileSync(join(src, "index.html"), "utf8")
    .replace("{{js}}", jsName)
    .replace("{{css}}", cssName);
  return new Map([
    ["index.html", Buffer.from(html)],
    [`assets/${jsName}`, Buffer.from(js)],
    [`assets/${cssName}`, Buffer.from(css)],
  ]);
}

const gzip = (b) => gzipSync(b, { level: 9 });
const brotli = (b) =>
  brotliCompressSync(b, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: b.length,
    },
  });

function listDist(dir = dist) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listDist(join(dir, d.name)) : [relative(dist, join(dir, d.name))],
  );
}

function report(files) {
  let raw = 0;
  let gz = 0;
  let br = 0;
  for (const [name, bytes] of files) {
    const g = gzip(bytes).length;
    const b = brotli(bytes).length;
    raw += bytes.length;
    gz += g;
    br += b;
    console.log(`  ${name.padEnd(32)} ${String(bytes.length).padStart(7)} B  gzip ${String(g).padStart(6)} B  br ${String(b).padStart(6)} B`);
  }
  console.log(`  ${"total".padEnd(32)} ${String(raw).padStart(7)} B  gzip ${String(gz).padStart(6)} B  br ${String(br).padStart(6)} B`);
  if (gz > BUDGET_GZIP_BYTES) {
    console.error(`the client is ${gz} B gzipped, over its ${BUDGET_GZIP_BYTES} B budget`);
    process.exit(1);
  }
}

const files = await build();

if (check) {
  // Compressed files may differ between zlib versions; they must decompress to the sources.
  const problems = [];
  const want = new Set([...files.keys()].flatMap((n) => [n, `${n}.gz`, `${n}.br`]));
  const have = new Set(listDist());
  for (const n of want) if (!have.has(n)) problems.push(`missing ${n}`);
  for (const n of have) if (!want.has(n)) problems.push(`unexpected ${n}`);
  for (const [name, bytes] of files) {
    const at = join(dist, name);
    if (!existsSync(at)) continue;
    if (!readFileSync(at).equals(bytes)) problems.push(`${name} differs from a fresh build`);
    if (existsSync(`${at}.gz`) && !gunzipSync(readFileSync(`${at}.gz`)).equals(bytes))
      problems.push(`${name}.gz is not ${name}`);
    if (existsSync(`${at}.br`) && !brotliDecompressSync(readFileSync(`${at}.br`)).equals(bytes))
      problems.push(`${name}.br is not ${name}`);
  }
  if (problems.length) {
    console.error("web/dist is not the build of web/src:");
    for (const p of problems) console.error(`  ${p}`);
    console.error("rebuild it with `npm ci --prefix web && npm run build --prefix web` and commit web/dist");
    process.exit(1);
  }
  console.log("web/dist is up to date:");
  report(files);
} else {
  rmSync(dist, { recursive: true, force: true });
  for (const [name, bytes] of files) {
    const at = join(dist, name);
    mkdirSync(dirname(at), { recursive: true });
    writeFileSync(at, bytes);
    writeFileSync(`${at}.gz`, gzip(bytes));
    writeFileSync(`${at}.br`, brotli(bytes));
  }
  console.log("built web/dist:");
  report(files);
}
