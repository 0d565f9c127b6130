import { fileURLToPath } from "node:url";

/** The repository root, wherever the CLI is started from. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
