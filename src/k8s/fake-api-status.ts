// JSON answers of the fake API server: objects, and the Kubernetes `Status` object that a real
// API server sends with every error (client-node puts it in ApiException.body).

import { STATUS_CODES, type ServerResponse } from 'node:http';

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A `Status` object with `code`, `reason` and `message`, as a real API server builds it. */
export function statusObject(code: number, message: string): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    reason: REASONS[code] ?? STATUS_CODES[code] ?? 'Unknown',
    code,
  };
}

/** Answers `code` with a Status body. */
export function sendStatus(res: ServerResponse, code: number, message: string): void {
  sendJson(res, code, statusObject(code, message));
}

/** Answers `code` with `body` as JSON. */
export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
