// Public surface of proxy/tap: the tap hub, the two tap layers of the HTTP stacks, the control
// server that serves GET /tap, and the wire form of its lines (ADR 0013, "Tap").
export { TapHub, TapSession, filterMatches, type TapFilter, type TapSink, type TapSessionOptions } from './tap-hub.ts';
export { tapLayer, tapEndpointLayer, type TapFields, type TapRecord, type TapLayerOptions } from './tap-layer.ts';
export { TapServer, type TapServerOptions } from './tap-server.ts';
export { decideTapAccess, isLoopback, type TapAccessDecision, type TapAccessRequest } from './tap-access.ts';
export { parseTapQuery, DEFAULT_TAP_RATE, TAP_PARAMETERS, type TapQuery, type TapQueryProblem } from './tap-query.ts';
export type { TapLine, TapRequestEvent, TapDroppedEvent, TapEndEvent, TapEndReason } from '../../src/api/tap-event.ts';
