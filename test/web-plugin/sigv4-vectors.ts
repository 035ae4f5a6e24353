/**
 * Query-string (presign) vectors of the AWS SigV4 test suite, as published with the AWS CRT
 * (awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<name>/query-signed-request.txt). All share
 * the suite's context: credentials AKIDEXAMPLE, region us-east-1, service "service",
 * 2015-08-30T12:36:00Z, 3600 s expiry, unsigned (empty) body.
 */
export const SUITE_CONTEXT = {
  credentials: {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  },
  region: 'us-east-1',
  service: 'service',
  signingDate: new Date('2015-08-30T12:36:00Z'),
  expiresInSeconds: 3600,
} as const;

export interface QueryVector {
  name: string;
  method: 'GET' | 'POST';
  /** The request of request.txt as a URL. */
  url: string;
  sessionToken?: string;
  /** X-Amz-Signature of query-signed-request.txt. */
  signature: string;
  /** Every X-Amz-* parameter of query-signed-request.txt other than the signature. */
  params: Record<string, string>;
}

const COMMON_PARAMS = {
  'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
  'X-Amz-Credential': 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request',
  'X-Amz-Date': '20150830T123600Z',
  'X-Amz-SignedHeaders': 'host',
  'X-Amz-Expires': '3600',
};

export const QUERY_VECTORS: QueryVector[] = [
  {
    name: 'get-vanilla',
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    signature: 'e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d',
    params: COMMON_PARAMS,
  },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
    signature: '86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5',
    params: { ...COMMON_PARAMS, Param2: 'value2', Param1: 'value1' },
  },
  {
    name: 'get-vanilla-query-unreserved',
    method: 'GET',
    url: 'https://example.amazonaws.com/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signature: '8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf',
    params: {
      ...COMMON_PARAMS,
      '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz':
        '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    },
  },
  {
    name: 'get-unreserved',
    method: 'GET',
    url: 'https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signature: '95968482db1b9e0fadef6efc1bd24689f77c77d9ef56919c96a28cc92e0d6005',
    params: COMMON_PARAMS,
  },
  {
    name: 'get-utf8',
    method: 'GET',
    url: 'https://example.amazonaws.com/\u1234',
    signature: '10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44',
    params: COMMON_PARAMS,
  },
  {
    name: 'get-vanilla-utf8-query',
    method: 'GET',
    url: 'https://example.amazonaws.com/?\u1234=bar',
    signature: '0bdd809b1519ac4f0c1dc3540e2cc46bd0c7f778eda408b2ebf3b913d21ff600',
    params: { ...COMMON_PARAMS, '\u1234': 'bar' },
  },
  {
    name: 'post-vanilla',
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    signature: '2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b',
    params: COMMON_PARAMS,
  },
  {
    name: 'get-vanilla-with-session-token',
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    sessionToken: '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
    signature: '7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c',
    params: {
      ...COMMON_PARAMS,
      'X-Amz-Security-Token': '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
    },
  },
];
