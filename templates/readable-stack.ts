/**
 * A stack whose logical ids are the construct ids themselves (no CDK hash suffix), so the
 * templates read like hand-written ones and a logical id changes only when a construct id does.
 */
import { App, BootstraplessSynthesizer, type CfnElement, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StreamingTemplateError } from './errors';

/** Construct ids CDK uses for an L2's main resource; they add nothing to a logical id. */
const SKIPPED_IDS = new Set(['Resource', 'Default']);

export interface ReadableStackProps extends StackProps {
  /**
   * Construct ids left out of logical ids (e.g. the id of the one `QnaStreaming` in a template,
   * so its API is `WebSocketApi`, not `StreamingWebSocketApi`). @default - none
   */
  readonly transparentIds?: readonly string[];
}

export class ReadableStack extends Stack {
  private readonly transparentIds: ReadonlySet<string>;
  private readonly allocated = new Map<string, string>();

  constructor(scope: Construct, id: string, props: ReadableStackProps = {}) {
    super(scope, id, { synthesizer: new BootstraplessSynthesizer(), ...props });
    this.transparentIds = new Set(props.transparentIds ?? []);
  }

  protected override allocateLogicalId(element: CfnElement): string {
    const depth = this.node.scopes.length;
    const parts = element.node.scopes
      .slice(depth)
      .map((scope) => scope.node.id)
      .filter((id) => !SKIPPED_IDS.has(id) && !this.transparentIds.has(id));
    const logicalId = parts.join('').replace(/[^A-Za-z0-9]/g, '');
    const path = element.node.path;
    const previous = this.allocated.get(logicalId);
    if (previous !== undefined && previous !== path) {
      throw new StreamingTemplateError(`Logical id ${logicalId} is used by both ${previous} and ${path}`);
    }
    this.allocated.set(logicalId, path);
    return logicalId;
  }
}

/** An app that writes templates without CDK bookkeeping (no path metadata, no version reporting). */
export function newTemplateApp(outdir: string): App {
  return new App({
    outdir,
    analyticsReporting: false,
    treeMetadata: false,
    context: {
      'aws:cdk:enable-path-metadata': false,
      'aws:cdk:version-reporting': false,
    },
  });
}
