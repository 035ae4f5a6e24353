/**
 * A document that records what the markdown renderers do with it (the test environment has no
 * DOM): elements and text built with createElement / createTextNode / appendChild / removeChild /
 * setAttribute / appendData only. innerHTML, outerHTML, insertAdjacentHTML and document.write
 * throw, so answer text can only ever become text nodes. Each node counts the changes made to it,
 * and the document counts the work done (nodes created, characters written into text).
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeText = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

export class RecordingText {
  changes = 0;
  parent: RecordingElement | undefined;

  constructor(
    public data: string,
    readonly ownerDocument: RecordingDocument,
  ) {}

  appendData(data: string): void {
    this.data += data;
    this.changes += 1;
    this.ownerDocument.work.characters += data.length;
  }

  html(): string {
    return escapeText(this.data);
  }
}

export type RecordingNode = RecordingElement | RecordingText;

export class RecordingElement {
  readonly attributes: [string, string][] = [];
  readonly childNodes: RecordingNode[] = [];
  changes = 0;
  parent: RecordingElement | undefined;

  constructor(
    readonly tagName: string,
    readonly ownerDocument: RecordingDocument,
  ) {}

  appendChild<T extends RecordingNode>(child: T): T {
    if (child.parent) throw new Error('the renderers only append new nodes');
    this.childNodes.push(child);
    child.parent = this;
    this.changes += 1;
    return child;
  }

  removeChild<T extends RecordingNode>(child: T): T {
    const index = this.childNodes.indexOf(child);
    if (index < 0) throw new Error('removeChild of a node that is not a child');
    this.childNodes.splice(index, 1);
    child.parent = undefined;
    this.changes += 1;
    return child;
  }

  setAttribute(name: string, value: string): void {
    this.attributes.push([name, String(value)]);
  }

  set innerHTML(_html: string) {
    throw new Error('innerHTML must never be used for answer text');
  }

  set outerHTML(_html: string) {
    throw new Error('outerHTML must never be used for answer text');
  }

  insertAdjacentHTML(): void {
    throw new Error('insertAdjacentHTML must never be used for answer text');
  }

  html(): string {
    if (this.tagName === 'br') return '<br>';
    const attributes = this.attributes.map(([name, value]) => ` ${name}="${escapeText(value)}"`).join('');
    return `<${this.tagName}${attributes}>${this.contentHtml()}</${this.tagName}>`;
  }

  /** The HTML of the children: what the reader sees inside the answer bubble. */
  contentHtml(): string {
    return this.childNodes.map((child) => child.html()).join('');
  }

  /** Changes made to this element and everything in it. */
  subtreeChanges(): number {
    return this.childNodes.reduce(
      (sum, child) => sum + (child instanceof RecordingElement ? child.subtreeChanges() : child.changes),
      this.changes,
    );
  }
}

export class RecordingDocument {
  readonly work = { nodes: 0, characters: 0 };

  createElement(tagName: string): RecordingElement {
    this.work.nodes += 1;
    return new RecordingElement(tagName, this);
  }

  createTextNode(data: string): RecordingText {
    this.work.nodes += 1;
    this.work.characters += data.length;
    return new RecordingText(data, this);
  }

  write(): void {
    throw new Error('document.write must never be used for answer text');
  }
}

/** A bubble of a page whose document is the recording one. */
export function bubble(doc = new RecordingDocument()): RecordingElement {
  return doc.createElement('div');
}

export const asElement = (element: RecordingElement) => element as unknown as Element;
