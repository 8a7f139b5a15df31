// Opens a qsmtk report from disk in headless Chromium (the system's, driven by playwright-core),
// waits for the viewer, counts drawn pixels in each viewer's WebGL canvas and the rows of the
// report's tables, saves a screenshot, and prints the findings as JSON.
//   node web/check_report.mjs REPORT.html SCREENSHOT.png
// Environment: CHROMIUM (default /usr/bin/chromium). Exit 0 with the JSON; 1 on failure; 3 when
// the browser cannot start at all (an environment problem, not the report's).
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";

const [report, screenshot] = process.argv.slice(2);
if (!report || !screenshot) {
  console.error("usage: node check_report.mjs REPORT.html SCREENSHOT.png");
  process.exit(2);
}
let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // Root in a container needs --no-sandbox, a small /dev/shm --disable-dev-shm-usage; WebGL
    // without a GPU runs on SwiftShader.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
           "--ignore-gpu-blocklist"],
  });
} catch (e) {
  console.error("the browser could not start: " + String(e).split("\n")[0]);
  process.exit(3);
}
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(report).href);
  await page.waitForFunction(() => document.body.dataset.viewer === "ready" || document.body.dataset.viewer === "error",
                             null, { timeout: 120000 });
  const result = await page.evaluate(() => {
    const viewer = document.body.dataset.viewer;
    const drawn = (window.qsmtkViewers || []).map((nv) => {
      nv.drawScene();  // read back in the same task, before the buffer is presented and cleared
      const gl = nv.gl, w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
      const px = new Uint8Array(w * h * 4);
      gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
      let lit = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 30) ++lit;
      return { width: w, height: h, lit_fraction: lit / (w * h) };
    });
    const rows = {};
    for (const t of document.querySelectorAll("table[id]")) rows[t.id] = t.querySelectorAll("tbody tr").length;
    const images = [...document.querySelectorAll("figure img")].map((img) => ({ alt: img.alt, width: img.naturalWidth }));
    return { viewer, status: document.getElementById("viewer-status").textContent, canvases: drawn, rows, images,
             warnings: document.querySelectorAll(".warnings li").length };
  });
  result.page_errors = errors;
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
