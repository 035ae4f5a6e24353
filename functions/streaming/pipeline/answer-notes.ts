/** The notes appended to an answer that did not finish normally, so the user knows it is partial. */

export const STOPPED_NOTE = '[Answer stopped before it was complete.]';

export function errorNote(code: string, hasPartialText: boolean): string {
  return hasPartialText
    ? `[Answer incomplete: the model failed while answering (${code}). Please ask again.]`
    : `Sorry, I could not generate an answer right now (${code}). Please try again.`;
}

export function withNote(text: string, note: string): string {
  const trimmed = text.trimEnd();
  return trimmed ? `${trimmed}\n\n${note}` : note;
}
