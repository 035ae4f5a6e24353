/**
 * The parts of API Gateway's WebSocket Lambda-proxy event that the connection Lambda reads.
 * (@types/aws-lambda's APIGatewayProxyWebsocketEventV2 omits the query string and identity.)
 */
export interface WebSocketIdentity {
  cognitoIdentityId?: string | null;
  cognitoIdentityPoolId?: string | null;
  cognitoAuthenticationType?: string | null;
  userArn?: string | null;
  accessKey?: string | null;
  caller?: string | null;
  sourceIp?: string | null;
  userAgent?: string | null;
}

export interface WebSocketEvent {
  requestContext: {
    routeKey: string;
    eventType?: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    connectionId: string;
    connectedAt?: number;
    requestTimeEpoch?: number;
    domainName?: string;
    stage?: string;
    apiId?: string;
    requestId?: string;
    identity?: WebSocketIdentity;
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** What the Lambda returns to API Gateway. On `$connect` the status decides the upgrade. */
export interface WebSocketResult {
  statusCode: number;
  body?: string;
}
