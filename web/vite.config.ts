import { resolve } from "node:path";
import { defineConfig } from "vite";

// The pages (login, wall, explore, reports, staffing), hashed assets under /assets; the server embeds whatever lands in outDir.
export default defineConfig({
  base: "/",
  build: {
    target: "es2020",
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        login: resolve(__dirname, "login.html"),
        wall: resolve(__dirname, "wall.html"),
        explore: resolve(__dirname, "explore.html"),
        reports: resolve(__dirname, "reports.html"),
        staffing: resolve(__dirname, "staffing.html"),
      },
    },
  },
});
