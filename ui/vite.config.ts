import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The window loads ui/dist embedded in the app; no dev server is involved (see PLATFORM.md).
// One bundle is read from the app itself, never over a network, so the size warning (500 kB,
// meant for web pages) is set at 1 MB: past that, code-splitting would be worth it.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { target: "safari15", outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
