// The balance layer (outbound; linkerd.md §4.6, §4.9): each attempt takes an endpoint from the
// target's balancer (P2C over peak-EWMA load by default), waiting in the balancer's bounded queue
// when none is ready, and reports back when the response head arrives (latency for the load
// estimate, success or failure for the endpoint's breaker) or the attempt fails.
//
// Contract: 'fail-fast' fails the request with ProxyError('fail-fast') (504, gRPC UNAVAILABLE),
// 'shed' with ProxyError('load-shed') (503), a closed balancer (the target was dropped) with
// ProxyError('no-endpoints'). Responses are classified by the route when there is one, otherwise
// by the default classification. A waiting request whose signal aborts (route timeout) fails with
// the signal's reason.

import type { CompiledProfile, CompiledRoute } from '../../src/profiles/index.ts';
import { PICK_CANCELLED, PICK_FAILURE, PICK_SUCCESS, type Balancer, type ReadyPick } from '../balance/index.ts';
import { classifyDefault } from '../http/classify.ts';
import { ProxyError } from '../http/proxy-error.ts';
import type {
  Downstream,
  Endpoint,
  EndpointRequest,
  HeadVerdict,
  HttpLayer,
  HttpRequest,
  ResponseHead,
} from '../http/stack.ts';

export interface BalancedRequest extends HttpRequest {
  readonly logical: { readonly name: string; readonly balancer: Balancer<Endpoint> };
  readonly profile?: CompiledProfile | undefined;
  readonly route?: CompiledRoute | undefined;
}

export function balanceLayer<R extends BalancedRequest>(): HttpLayer<R, R & EndpointRequest> {
  return (inner) => async (req) => {
    const balancer = req.logical.balancer;
    const picked = balancer.pick();
    let lease: ReadyPick<Endpoint>;
    if (picked.kind === 'ready') lease = picked;
    else {
      const acquired = await balancer.acquire(req.signal);
      switch (acquired.kind) {
        case 'ready':
          lease = acquired;
          break;
        case 'fail-fast':
          throw new ProxyError('fail-fast', `${req.logical.name} has no ready endpoint (fail-fast)`);
        case 'shed':
          throw new ProxyError('load-shed', `${req.logical.name} has too many requests waiting for an endpoint`);
        case 'closed':
          throw new ProxyError('no-endpoints', `${req.logical.name} is no longer resolved`);
      }
    }
    const outer = req.onHead;
    const { profile, route } = req;
    const onHead = (head: ResponseHead): HeadVerdict => {
      const failed =
        profile === undefined
          ? classifyDefault(head.status, head.grpcStatus) === 'failure'
          : profile.classify(route, {
              status: head.status,
              grpcStatus: head.grpcStatus === undefined ? undefined : Number(head.grpcStatus),
            }) === 'failure';
      lease.done(failed ? PICK_FAILURE : PICK_SUCCESS);
      return outer?.(head) ?? 'commit';
    };
    try {
      return await inner({ ...req, endpoint: lease.endpoint, onHead });
    } catch (err) {
      // A client that went away says nothing about the endpoint: its breaker is not charged.
      lease.done(clientGone(req.downstream) ? PICK_CANCELLED : PICK_FAILURE);
      throw err;
    } finally {
      // An attempt that ended without a head (e.g. an Upgrade) still frees its endpoint.
      lease.done(PICK_SUCCESS);
    }
  };
}

function clientGone(down: Downstream): boolean {
  switch (down.kind) {
    case 'h1':
      return down.res.destroyed;
    case 'h2':
      return down.stream.closed;
    case 'upgrade':
      return down.socket.destroyed;
  }
}
