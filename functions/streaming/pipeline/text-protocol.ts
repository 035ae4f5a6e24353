/**
 * The `text` protocol as the stock Lex Web UI 0.24 displays it, and what the publisher does so the
 * display keeps up and shows the last words.
 *
 * Read from upstream (aws-samples/aws-lex-web-ui v0.24.1, lex-web-ui/src/store/actions.js
 * `lexPostText` / `typingWsMessages`, store/mutations.js `pushWebSocketMessage` /
 * `typingWsMessages` / `setIsStartingTypingWsMessages`): while a Lex request is in flight, every
 * frame (except the literal `/stop/`) is pushed to a list, and each arrival after the first
 * schedules one append of the oldest not-yet-shown frame 500 ms later. So frame k appears 500 ms
 * after frame k+1 arrives, the last frame never appears, and Lex's answer clears the bubble.
 *
 * What the publisher does about it, on text-protocol tabs only:
 * - after the answer's text it sends END_OF_TEXT_MARKER, a frame of one space: it lets the last real
 *   frame appear, and is itself the one frame that never shows (for any other text reader it is a
 *   trailing space, which Markdown and HTML rendering drop);
 * - before returning the answer to Lex it waits PUBLISHER_DEFAULTS.textHoldMs (550 ms = Lex Web UI's
 *   500 ms plus a margin), so the last words are on screen before Lex's answer replaces them. Only
 *   turns that sent text to a text tab wait; json-only sessions never do.
 * - Pacing needs nothing more: every frame schedules exactly one append, so with the coalescer's
 *   250 ms window the display follows one frame plus 500 ms behind, however long the answer.
 */
export const END_OF_TEXT_MARKER = ' ';

/** Lex Web UI's delay between a frame's successor arriving and the frame being shown. */
export const LEX_WEB_UI_APPEND_DELAY_MS = 500;
