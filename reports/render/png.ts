import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RenderedImage, type ResvgRenderOptions, renderAsync } from "@resvg/resvg-js";
import type { ChartFigure } from "./charts.ts";
import { standaloneSvg } from "./ssr.ts";

/**
 * charts/<id>.svg and charts/<id>.png for every chart of a report. PNGs are rendered by resvg
 * with the bundled DejaVu Sans only (no system fonts), so the same run gives the same pixels on
 * any machine. The charts render concurrently on libuv's thread pool.
 */

export const CHARTS_DIR = "charts";

/** The bundled font (DejaVu Sans, Bitstream Vera licence: assets/fonts/DejaVuSans-LICENSE.txt). */
export const FONT_FILE = fileURLToPath(new URL("../../assets/fonts/DejaVuSans.ttf", import.meta.url));

/** Device pixels per SVG unit: 2 gives crisp PNGs on high-density screens and in docs. */
export const PNG_SCALE = 2;

export function resvgOptions(scale = PNG_SCALE): ResvgRenderOptions {
  return {
    font: {
      fontFiles: [FONT_FILE],
      loadSystemFonts: false,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
    fitTo: { mode: "zoom", value: scale },
    background: "#ffffff",
    logLevel: "off",
  };
}

/** Rasterises an SVG document; the result has `.width`, `.height`, `.pixels` (RGBA) and `.asPng()`. */
export function renderSvg(svg: string, scale = PNG_SCALE): Promise<RenderedImage> {
  return renderAsync(svg, resvgOptions(scale));
}

export interface WrittenChart {
  id: string;
  svg: string;
  png: string;
  width: number;
  height: number;
}

/** Writes `<dir>/charts/<id>.svg|png` for each figure; returns the paths and PNG sizes. */
export async function writeChartFiles(
  runDir: string,
  runId: string,
  figures: readonly ChartFigure[],
  scale = PNG_SCALE,
): Promise<WrittenChart[]> {
  const dir = join(runDir, CHARTS_DIR);
  await mkdir(dir, { recursive: true });
  return Promise.all(
    figures.map(async (fig) => {
      const svg = standaloneSvg(fig, runId);
      const svgPath = join(dir, `${fig.id}.svg`);
      const pngPath = join(dir, `${fig.id}.png`);
      const [image] = await Promise.all([renderSvg(svg, scale), writeFile(svgPath, svg)]);
      await writeFile(pngPath, image.asPng());
      return { id: fig.id, svg: svgPath, png: pngPath, width: image.width, height: image.height };
    }),
  );
}
