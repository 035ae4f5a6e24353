/** Fixed Lambda keys for template tests (one per registered asset), so those tests never bundle. */
export const TEST_ASSET_KEYS = {
  connection: 'lambda/connection-0123456789ab.zip',
  fulfillment: 'lambda/fulfillment-ba9876543210.zip',
  'qnabot-hook': 'lambda/qnabot-hook-aabbccddeeff.zip',
  ask: 'lambda/ask-112233445566.zip',
} as const;
