/**
 * What a command that writes a folder prints on stdout. With --json: one JSON document and
 * nothing else, the folder inside it, so `stampede drill --json | jq .requests` works; without:
 * the folder's path, on the last line. Progress and notes go to stderr either way.
 */
export function folderOutput(
  json: boolean,
  figures: object,
  folder: { key: "runDir" | "dir"; path: string },
  human = "",
): string {
  if (json) return `${JSON.stringify({ ...figures, [folder.key]: folder.path }, null, 2)}\n`;
  return `${human}${folder.path}\n`;
}
