/**
 * Messages a json-protocol socket may receive that are not well-formed frames (used by
 * malformed-frames.test.ts through the client and the Lex Web UI adapter, and by
 * frame-reader.test.ts directly).
 */

export interface MalformedMessage {
  name: string;
  message: string;
  /** A frame by rawAnswerText's rule (a JSON object with a `v` and a string `type`). */
  frame: boolean;
  /** Why parseJsonFrame refuses it (what the client's BAD_FRAME error says). */
  reason: string;
}

/**
 * Each is broken in one way; each still carries text a page could show by mistake. `frame` says
 * whether it counts as a frame by rawAnswerText's documented rule (a JSON object with a `v` and a
 * string `type`); the others are answer text by that rule (QnABot's raw chunks can be any text).
 */
export const MALFORMED: readonly MalformedMessage[] = [
  { name: 'plain text', message: 'leaked words', frame: false, reason: 'not JSON: leaked words' },
  {
    name: 'a frame cut short',
    message: '{"v":1,"type":"delta","turnId":"t1","seq":1,"text":"leaked',
    frame: false,
    reason: 'not JSON: {"v":1,"type":"delta","turnId":"t1","seq":1,"text":"leaked',
  },
  {
    name: 'a frame with trailing junk',
    message: '{"v":1,"type":"delta","turnId":"t1","seq":1,"text":"leaked"} x',
    frame: false,
    reason: 'not JSON: {"v":1,"type":"delta","turnId":"t1","seq":1,"text":"leaked"} x',
  },
  {
    name: 'a list',
    message: '[{"v":1,"type":"delta","turnId":"t1","seq":1,"text":"leaked"}]',
    frame: false,
    reason: 'unsupported frame version undefined',
  },
  { name: 'null', message: 'null', frame: false, reason: 'not an object' },
  {
    name: 'no version',
    message: '{"type":"delta","turnId":"t1","seq":1,"text":"leaked"}',
    frame: false,
    reason: 'unsupported frame version undefined',
  },
  {
    name: 'a type that is not a string',
    message: '{"v":1,"type":7,"turnId":"t1","seq":1,"text":"leaked"}',
    frame: false,
    reason: 'unknown frame type 7',
  },
  {
    name: 'another version',
    message: '{"v":2,"type":"delta","turnId":"t1","seq":1,"text":"leaked"}',
    frame: true,
    reason: 'unsupported frame version 2',
  },
  {
    name: 'the version as a string',
    message: '{"v":"1","type":"delta","turnId":"t1","seq":1,"text":"leaked"}',
    frame: true,
    reason: 'unsupported frame version 1',
  },
  {
    name: 'an unknown type',
    message: '{"v":1,"type":"chunk","turnId":"t1","seq":1,"text":"leaked"}',
    frame: true,
    reason: 'unknown frame type chunk',
  },
  {
    name: 'no turnId',
    message: '{"v":1,"type":"delta","seq":1,"text":"leaked"}',
    frame: true,
    reason: 'turnId missing',
  },
  {
    name: 'a turnId that is not a string',
    message: '{"v":1,"type":"delta","turnId":1,"seq":1,"text":"leaked"}',
    frame: true,
    reason: 'turnId missing',
  },
  {
    name: 'no seq',
    message: '{"v":1,"type":"delta","turnId":"t1","text":"leaked"}',
    frame: true,
    reason: 'seq missing',
  },
  {
    name: 'seq as a string',
    message: '{"v":1,"type":"delta","turnId":"t1","seq":"1","text":"leaked"}',
    frame: true,
    reason: 'seq missing',
  },
  {
    name: 'a fractional seq',
    message: '{"v":1,"type":"delta","turnId":"t1","seq":1.5,"text":"leaked"}',
    frame: true,
    reason: 'seq missing',
  },
  {
    name: 'a negative seq',
    message: '{"v":1,"type":"delta","turnId":"t1","seq":-1,"text":"leaked"}',
    frame: true,
    reason: 'seq missing',
  },
  {
    name: 'a delta without text',
    message: '{"v":1,"type":"delta","turnId":"t1","seq":1}',
    frame: true,
    reason: 'delta without text',
  },
  {
    name: 'a delta whose text is not a string',
    message: '{"v":1,"type":"delta","turnId":"t1","seq":1,"text":["leaked"]}',
    frame: true,
    reason: 'delta without text',
  },
  {
    name: 'a citation without a list',
    message: '{"v":1,"type":"citation","turnId":"t1","seq":1,"citations":"leaked"}',
    frame: true,
    reason: 'citation without citations',
  },
  {
    name: 'an error without a code',
    message: '{"v":1,"type":"error","turnId":"t1","seq":1,"message":"leaked"}',
    frame: true,
    reason: 'error without code/message',
  },
  {
    name: 'an error without a message',
    message: '{"v":1,"type":"error","turnId":"t1","seq":1,"code":"Leaked"}',
    frame: true,
    reason: 'error without code/message',
  },
  {
    name: 'an error whose retryable is not true or false',
    message:
      '{"v":1,"type":"error","turnId":"t1","seq":1,"code":"Leaked","message":"leaked","retryable":"yes"}',
    frame: true,
    reason: 'error with a retryable that is not true or false',
  },
  {
    name: 'a status without a phase',
    message: '{"v":1,"type":"status","turnId":"t1","seq":1,"message":"leaked"}',
    frame: true,
    reason: 'status with unknown phase undefined',
  },
  {
    name: 'a status with an unknown phase',
    message: '{"v":1,"type":"status","turnId":"t1","seq":1,"phase":"leaking","message":"leaked"}',
    frame: true,
    reason: 'status with unknown phase leaking',
  },
  {
    name: 'a status without a message',
    message: '{"v":1,"type":"status","turnId":"t1","seq":1,"phase":"thinking","text":"leaked"}',
    frame: true,
    reason: 'status without message',
  },
  {
    name: 'a status whose message is not a string',
    message: '{"v":1,"type":"status","turnId":"t1","seq":1,"phase":"thinking","message":["leaked"]}',
    frame: true,
    reason: 'status without message',
  },
  {
    name: 'a status whose retryInMs is a string',
    message:
      '{"v":1,"type":"status","turnId":"t1","seq":1,"phase":"retrying","message":"leaked","retryInMs":"soon"}',
    frame: true,
    reason: 'status with a retryInMs that is not a duration',
  },
  {
    name: 'a status with a negative retryInMs',
    message:
      '{"v":1,"type":"status","turnId":"t1","seq":1,"phase":"retrying","message":"leaked","retryInMs":-5}',
    frame: true,
    reason: 'status with a retryInMs that is not a duration',
  },
];
