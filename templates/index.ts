/** Public names of the templates package (explicit re-exports only). */
export {
  DIRECT_ASK_IDS,
  DIRECT_ASK_REQUEST_TEMPLATE,
  DirectAsk,
  type DirectAskProps,
} from './direct-ask';
export { StreamingTemplateError } from './errors';
export {
  acknowledgeAlarmTopic,
  acknowledgeDirectAsk,
  acknowledgeExampleFunction,
  acknowledgeFinding,
  acknowledgeQnaStreaming,
  acknowledgeStreamingTemplate,
  addNagChecks,
  listAcknowledgements,
  type RecordedAcknowledgement,
} from './nag';
export { ParentExampleStack, type ParentExampleStackProps } from './parent-example-stack';
export {
  addStreamingToParent,
  fragmentFromTemplate,
  PARENT_NAMES,
  type ParentFragment,
  ParentFragmentStack,
  type ParentStreaming,
  type StreamingOutputName,
} from './parent-fragment';
export { newTemplateApp, ReadableStack, type ReadableStackProps } from './readable-stack';
export {
  addBootstrapParameters,
  addLogHashKeyParameter,
  addQnabotMasterOnlyParameters,
  addSharedSettingsParameters,
  BOOTSTRAP_PREFIX_PATTERN,
  type BootstrapParameters,
  LOG_HASH_KEY_PARAMETER,
  LOG_HASH_KEY_PATTERN,
  QNABOT_MASTER_ONLY_PARAMETER_NAMES,
  SHARED_PARAMETER_NAMES,
  type SharedSettingsParameters,
  sharedSettingsForNestedStack,
} from './shared-parameters';
export {
  ACCESS_LOG_FORMAT,
  BINDING_LIMITS,
  CONNECTION_ITEM_ACTIONS,
  LOG_RETENTION_DAYS,
  PUBLISHER_ITEM_ACTIONS,
  QNABOT_SHARED_IDS,
  QnaStreaming,
  type QnaStreamingProps,
  type QnaStreamingVpcProps,
  STREAMING_IDS,
  STREAMING_LAMBDA_HANDLER,
  STREAMING_LAMBDA_RUNTIME,
  STREAMING_STAGE_NAME,
} from './streaming-construct';
export {
  METRICS_NAMESPACE,
  METRICS_SERVICE_DIMENSION,
  OBSERVABILITY_IDS,
  PUBLISHER_METRICS,
  PUBLISHER_SERVICES,
  type StreamingAlarmProps,
  StreamingObservability,
  type StreamingObservabilityProps,
} from './streaming-observability';
export {
  DIRECT_ASK_CONSTRUCT_ID,
  MONITORING_OUTPUTS,
  OBSERVABILITY_CONSTRUCT_ID,
  STREAMING_CONDITIONS,
  STREAMING_CONSTRUCT_ID,
  STREAMING_OUTPUTS,
  STREAMING_PARAMETERS,
  STREAMING_TEMPLATE_KEY,
  StreamingStack,
  type StreamingStackProps,
} from './streaming-stack';
export {
  createTemplateApp,
  type SynthesizedTemplates,
  type SynthTemplatesOptions,
  synthesizeChecked,
  synthTemplates,
  TEMPLATE_FILES,
  type TemplateApp,
  type TemplateJson,
} from './synth-templates';
