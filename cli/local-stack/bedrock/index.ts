/** The local Bedrock runtime / agent runtime doubles: what the local stack and benchmarks import. */
export {
  DEFAULT_BEHAVIOUR,
  type LocalBedrockBehaviour,
  STREAM_EXCEPTION_TYPES,
  type StreamExceptionType,
} from './behaviour';
export { LocalBedrockError } from './errors';
export { DEFAULT_MODEL_IDS, LOCAL_MODEL_ID } from './models';
export type { LocalBedrockStats } from './operation-context';
export { SESSION_ID_HEADER } from './retrieve-and-generate';
export {
  BEDROCK_SIGNING_SERVICE,
  type LocalBedrock,
  type LocalBedrockOptions,
  startLocalBedrock,
} from './server';
