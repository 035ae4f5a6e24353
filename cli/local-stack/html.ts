/** HTML helpers for the pages the local stack renders on the server (status page, demo page). */

/** `text` safe inside an element or a quoted attribute: `& < > " '` become numeric references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
