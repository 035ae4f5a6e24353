/**
 * Watches the raw client→server byte stream of a WebSocket and reports the first data frame or
 * message over API Gateway's limits (32 KB per frame, 128 KB per message). The `ws` library only
 * has one limit for both, so the gateway reads the frame headers itself, ahead of `ws`.
 */
export type FrameViolation = { kind: 'frame' | 'message'; bytes: number };

export class FrameGuard {
  private header = Buffer.alloc(0);
  private payloadRemaining = 0;
  private messageBytes = 0;
  private stopped = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly maxMessageBytes: number,
  ) {}

  /** Feeds received bytes; returns the first violation (after which the guard stops reading). */
  feed(chunk: Buffer): FrameViolation | undefined {
    let offset = 0;
    while (!this.stopped && offset < chunk.length) {
      if (this.payloadRemaining > 0) {
        const skip = Math.min(this.payloadRemaining, chunk.length - offset);
        this.payloadRemaining -= skip;
        offset += skip;
        continue;
      }
      const needed = this.headerLength();
      const take = Math.min(chunk.length - offset, Math.max(needed, 2) - this.header.length);
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.header.length < 2 || this.header.length < this.headerLength()) continue;
      const violation = this.completeHeader();
      if (violation) {
        this.stopped = true;
        return violation;
      }
    }
    return undefined;
  }

  /** Header length once the first two bytes are known (2 until then). */
  private headerLength(): number {
    if (this.header.length < 2) return 2;
    const second = this.header[1] as number;
    const lengthCode = second & 0x7f;
    const extended = lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0;
    return 2 + extended + (second & 0x80 ? 4 : 0);
  }

  private completeHeader(): FrameViolation | undefined {
    const first = this.header[0] as number;
    const lengthCode = (this.header[1] as number) & 0x7f;
    const length =
      lengthCode === 126
        ? this.header.readUInt16BE(2)
        : lengthCode === 127
          ? Number(this.header.readBigUInt64BE(2))
          : lengthCode;
    this.header = Buffer.alloc(0);
    this.payloadRemaining = length;
    const opcode = first & 0x0f;
    const fin = (first & 0x80) !== 0;
    if (opcode >= 0x8) return undefined; // control frame (close/ping/pong): ≤125 bytes by protocol
    if (opcode !== 0x0) this.messageBytes = 0;
    this.messageBytes += length;
    if (length > this.maxFrameBytes) return { kind: 'frame', bytes: length };
    if (this.messageBytes > this.maxMessageBytes) return { kind: 'message', bytes: this.messageBytes };
    if (fin) this.messageBytes = 0;
    return undefined;
  }
}
