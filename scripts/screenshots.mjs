// `make screenshots`: every published page and index, in every language, at desktop
// (1,280 px) and phone (390 px) width, full length, as PNGs under output/screenshots/.
// The site is served over http on 127.0.0.1 (as pa11y sees it), with Debian's Chromium:
// puppeteer never downloads a browser here.
import { createServer } from "node:http";
import { readFile, readdir, mkdir, stat } from "node:fs/promises";
import { join, extname, relative, dirname, resolve } from "node:path";
import puppeteer from "puppeteer";

const root = resolve(process.argv[2] ?? "output/site");
const out = resolve(process.argv[3] ?? "output/screenshots");
const widths = [1280, 390];
const types = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".png": "image/png",
  ".jpg": "image/jpeg", ".svg": "image/svg+xml", ".xml": "application/xml", ".json": "application/json" };

async function pages(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...await pages(path));
    else if (entry.name.endsWith(".html")) found.push(relative(root, path));
  }
  return found.sort();
}

try { await stat(root); } catch {
  console.error(`screenshots: ${root} does not exist; run 'make' first`);
  process.exit(1);
}
const server = createServer(async (req, res) => {
  let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path.endsWith("/")) path += "index.html";
  const file = resolve(root, "." + path);
  try {
    if (!file.startsWith(root)) throw new Error("outside");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch { res.writeHead(404); res.end("not found"); }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await puppeteer.launch({
  executablePath: process.env.PIPELINE_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"],
});
let count = 0;
try {
  const page = await browser.newPage();
  for (const file of await pages(root)) {
    for (const width of widths) {
      await page.setViewport({ width, height: 800 });
      await page.goto(base + file, { waitUntil: "load" });
      const png = join(out, file.replace(/\.html$/, `-${width}.png`));
      await mkdir(dirname(png), { recursive: true });
      await page.screenshot({ path: png, fullPage: true });
      count += 1;
    }
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`screenshots: ${count} PNG(s) in ${relative(process.cwd(), out) || out}`);
