// A fake Kubernetes API server on node:http, for tests that drive the real
// @kubernetes/client-node (informers, typed APIs, TokenReview) without a cluster.
//
// Contract: call `start()` once (it listens on 127.0.0.1, port 0) and `close()` once (it ends
// every watch and connection). It serves list, get and watch for the resources of
// fake-api-resources.ts (and any registered; lists page with `limit` and `continue` over a
// snapshot taken by the first page), create (POST) and replace (PUT, with resourceVersion
// conflicts answered 409; PUT to `…/{name}/status` replaces only `.status`:
// fake-api-status-subresource.ts), TokenReview and SelfSubjectAccessReview through
// pluggable reviewers, the discovery document of each group version it serves
// (`GET /apis/{group}/{version}`), GET through the pods/proxy subresource to the pod's podIP
// (fake-api-pod-proxy.ts), pods/portforward upgraded to a WebSocket relayed to the pod
// (fake-api-port-forward.ts), and answers everything else with a Kubernetes Status (404,
// 405). Every request must carry `Authorization: Bearer <bearerToken>` (401 otherwise);
// `kubeConfig()` sets that up. `withoutKinds` leaves built-in kinds unserved. Test controls
// change the store (`add`, `update`, `remove`), the streams (`closeWatches`, `sendBookmark`,
// `expireResourceVersions`) and the next answers (`failNext`), and `requestCount` tells how
// often a path was listed or watched. Not for production use.

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import {
  BUILTIN_RESOURCES,
  SELECTABLE_FIELDS,
  apiVersionOf,
  compileSelector,
  discoveryDocument,
  parseDiscoveryPath,
  parseResourcePath,
  selectableFields,
  type FakeObject,
  type FakeResource,
  type ResourcePath,
} from './fake-api-resources.ts';
import {
  accessReviewResponse,
  allowEverything,
  isReviewResponse,
  parseAccessReview,
  parseTokenReview,
  refuseAllTokens,
  tokenReviewResponse,
  type AccessReviewRequest,
  type AccessReviewer,
  type ReviewResponse,
  type TokenReviewRequest,
  type TokenReviewer,
} from './fake-api-reviews.ts';
import { sendJson, sendStatus, statusObject } from './fake-api-status.ts';
import { parseStatusPath, replaceStatus } from './fake-api-status-subresource.ts';
import { forwardToPod, parsePodProxyPath } from './fake-api-pod-proxy.ts';
import { FakePortForward, parsePortForwardPath, rejectUpgrade } from './fake-api-port-forward.ts';
import { FakeObjectStore, objectMatcher, type MutationOptions, type ObjectRef } from './fake-api-store.ts';
import { WatchHub, type ExpiredAnswer } from './fake-api-watch.ts';

export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
export const ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const DEFAULT_BEARER_TOKEN = 'fake-api-server-token';
const MAX_BODY_BYTES = 1 << 20;

/** What a request did, for counters and planned failures. */
export type RequestVerb = 'list' | 'watch' | 'get' | 'create' | 'other';

/** A planned failure: an HTTP status (answered with a Status body) or a dropped connection. */
export type PlannedFailure = number | 'drop';

export interface FakeApiServerOptions {
  /** The bearer token clients must present (default `fake-api-server-token`). */
  readonly bearerToken?: string;
  /** Answers TokenReviews (default: authenticates nothing). */
  readonly tokenReviewer?: TokenReviewer;
  /** Answers SelfSubjectAccessReviews (default: allows everything). */
  readonly accessReviewer?: AccessReviewer;
  /** Kinds to serve besides the built-in ones. */
  readonly resources?: readonly FakeResource[];
  /**
   * Built-in kinds not to serve, as a cluster without their CRDs (GRPCRoute, say): their paths
   * answer 404 and discovery leaves them out, until `registerResource` adds them.
   */
  readonly withoutKinds?: readonly string[];
}

interface FailurePlan {
  readonly path: string;
  readonly verb: RequestVerb | 'any';
  readonly failure: PlannedFailure;
  remaining: number;
}

export class FakeApiServer {
  readonly #store: FakeObjectStore;
  readonly #watches: WatchHub;
  readonly #bearerToken: string;
  readonly #failures: FailurePlan[] = [];
  readonly #counts = new Map<string, number>();
  readonly #tokenReviews: TokenReviewRequest[] = [];
  readonly #accessReviews: AccessReviewRequest[] = [];
  /** What discovery lists: every resource registered, in order (a later one replaces an earlier). */
  readonly #discoverable: FakeResource[];
  readonly #withheld: Set<string>;
  #tokenReviewer: TokenReviewer;
  #accessReviewer: AccessReviewer;
  #expiredAnswer: ExpiredAnswer = 'error-event';
  /** Lists being paged (`limit`/`continue`): snapshot id → the resourceVersion and items. */
  readonly #listSnapshots = new Map<string, { resourceVersion: string; items: FakeObject[] }>();
  #listSnapshotIds = 0;
  readonly #portForward = new FakePortForward();
  #server: Server | undefined;
  #port = 0;

  constructor(options: FakeApiServerOptions = {}) {
    this.#store = new FakeObjectStore({ resources: options.resources ?? [] });
    this.#discoverable = [...BUILTIN_RESOURCES, ...(options.resources ?? [])];
    this.#withheld = new Set(options.withoutKinds ?? []);
    this.#watches = new WatchHub(this.#store);
    this.#bearerToken = options.bearerToken ?? DEFAULT_BEARER_TOKEN;
    this.#tokenReviewer = options.tokenReviewer ?? refuseAllTokens;
    this.#accessReviewer = options.accessReviewer ?? allowEverything;
  }

  /** Listens on 127.0.0.1 with an ephemeral port. */
  async start(): Promise<void> {
    if (this.#server !== undefined) throw new Error('fake API server: start() was already called');
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        sendStatus(res, 500, `fake API server bug: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#server = server;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.#port = (server.address() as AddressInfo).port;
  }

  /** Ends every watch and connection and stops listening. */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#watches.dispose();
    this.#portForward.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The bearer token clients must present. */
  get bearerToken(): string {
    return this.#bearerToken;
  }

  /** A KubeConfig pointed at this server (a fresh one per call). */
  kubeConfig(options: { readonly bearerToken?: string; readonly namespace?: string } = {}): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', token: options.bearerToken ?? this.#bearerToken }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', namespace: options.namespace ?? 'default' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** Serves another kind (a CRD, say). */
  registerResource(resource: FakeResource): void {
    this.#store.registerResource(resource);
    this.#discoverable.push(resource);
    this.#withheld.delete(resource.kind);
  }

  /** Adds an object (ADDED to open watches); returns the stored copy with its resourceVersion. */
  add(object: FakeObject, options?: MutationOptions): FakeObject {
    return this.#store.add(object, options);
  }

  /** Replaces an object (MODIFIED); returns the stored copy. */
  update(object: FakeObject, options?: MutationOptions): FakeObject {
    return this.#store.update(object, options);
  }

  /** Removes an object (DELETED); returns its last state. */
  remove(ref: ObjectRef, options?: MutationOptions): FakeObject {
    return this.#store.remove(ref, options);
  }

  /** The latest resourceVersion issued, as Kubernetes writes it. */
  get resourceVersion(): string {
    return String(this.#store.resourceVersion);
  }

  /** Ends every open watch cleanly; returns how many there were. */
  closeWatches(): number {
    return this.#watches.closeAll();
  }

  /**
   * Makes every resourceVersion issued so far too old: the next watch from one is answered 410,
   * as an ERROR event then a clean close (`error-event`, what kube-apiserver does, the default) or
   * as HTTP 410 (`http-status`). Open watches are left alone; close them to make clients re-watch.
   * Lists being paged lose their snapshot: their next `continue` is answered 410.
   */
  expireResourceVersions(options: { readonly answer?: ExpiredAnswer } = {}): void {
    this.#expiredAnswer = options.answer ?? 'error-event';
    this.#store.expire();
    this.#listSnapshots.clear();
  }

  /** Sends a BOOKMARK to every open watch that asked for them; returns how many got one. */
  sendBookmark(): number {
    return this.#watches.bookmark();
  }

  /**
   * Fails the next request(s) to exactly `path` (no query): with `failure` as HTTP status and a
   * Status body, or by dropping the connection (`'drop'`). `verb` narrows which requests count.
   */
  failNext(
    path: string,
    failure: PlannedFailure,
    options: { readonly verb?: RequestVerb | 'any'; readonly times?: number } = {},
  ): void {
    this.#failures.push({ path, verb: options.verb ?? 'any', failure, remaining: options.times ?? 1 });
  }

  /** How many requests reached `path` (failed ones included), for one verb or all. */
  requestCount(path: string, verb?: RequestVerb): number {
    if (verb !== undefined) return this.#counts.get(`${verb} ${path}`) ?? 0;
    let total = 0;
    for (const [key, count] of this.#counts) if (key.slice(key.indexOf(' ') + 1) === path) total += count;
    return total;
  }

  /** How many watch streams are open now. */
  get openWatchCount(): number {
    return this.#watches.openCount;
  }

  /** Changes how TokenReviews are answered from now on. */
  setTokenReviewer(reviewer: TokenReviewer): void {
    this.#tokenReviewer = reviewer;
  }

  /** Changes how SelfSubjectAccessReviews are answered from now on. */
  setAccessReviewer(reviewer: AccessReviewer): void {
    this.#accessReviewer = reviewer;
  }

  /** Every well-formed TokenReview received, oldest first. */
  get tokenReviews(): readonly TokenReviewRequest[] {
    return [...this.#tokenReviews];
  }

  /** Every well-formed SelfSubjectAccessReview received, oldest first. */
  get accessReviews(): readonly AccessReviewRequest[] {
    return [...this.#accessReviews];
  }

  /** Upgrade requests: only pods/portforward (counted and failed like other requests, verb `other`). */
  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    this.#counts.set(`other ${path}`, (this.#counts.get(`other ${path}`) ?? 0) + 1);
    const failure = this.#takeFailure(path, 'other');
    if (failure === 'drop') {
      socket.destroy();
      return;
    }
    if (failure !== undefined) {
      rejectUpgrade(socket, failure, `the fake API server was told to fail this upgrade of ${path} with ${failure}`);
      return;
    }
    if (bearerOf(req) !== this.#bearerToken) {
      rejectUpgrade(socket, 401, 'Unauthorized');
      return;
    }
    const forward = parsePortForwardPath(path);
    if (forward === undefined) {
      rejectUpgrade(socket, 404, `the fake API server upgrades only pods/portforward, not ${path}`);
      return;
    }
    const pods = BUILTIN_RESOURCES.find((r) => r.kind === 'Pod');
    const pod = pods === undefined ? undefined : this.#store.get(pods, forward.namespace, forward.pod);
    this.#portForward.handleUpgrade(req, socket, head, forward, pod, url.searchParams);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    const resourcePath = parseResourcePath(path);
    const verb = verbOf(req.method, url, resourcePath);
    this.#counts.set(`${verb} ${path}`, (this.#counts.get(`${verb} ${path}`) ?? 0) + 1);

    const failure = this.#takeFailure(path, verb);
    if (failure === 'drop') {
      req.socket.destroy();
      return;
    }
    if (failure !== undefined) {
      sendStatus(res, failure, `the fake API server was told to fail this ${verb} of ${path} with ${failure}`);
      return;
    }

    const bearerToken = bearerOf(req);
    if (bearerToken !== this.#bearerToken) {
      sendStatus(res, 401, 'Unauthorized');
      return;
    }

    if (req.method === 'POST' && path === TOKEN_REVIEW_PATH) {
      await this.#review(req, res, (body) => this.#tokenReview(body, bearerToken));
      return;
    }
    if (req.method === 'POST' && path === ACCESS_REVIEW_PATH) {
      await this.#review(req, res, (body) => this.#accessReview(body, bearerToken));
      return;
    }
    const statusPath = req.method === 'PUT' ? parseStatusPath(path) : undefined;
    if (statusPath !== undefined) {
      replaceStatus(this.#store, statusPath, await readBody(req), res, (r) => !this.#withheld.has(r.kind));
      return;
    }
    const podProxy = parsePodProxyPath(path);
    if (podProxy !== undefined) {
      const pods = BUILTIN_RESOURCES.find((r) => r.kind === 'Pod');
      const pod = pods === undefined ? undefined : this.#store.get(pods, podProxy.namespace, podProxy.pod);
      forwardToPod(req, res, podProxy, pod, url.search);
      return;
    }
    const discovery = req.method === 'GET' ? parseDiscoveryPath(path) : undefined;
    if (discovery !== undefined) {
      const served = this.#discoverable.filter((r) => !this.#withheld.has(r.kind));
      const document = discoveryDocument(served, discovery.group, discovery.version);
      if (document === undefined) sendStatus(res, 404, `the server could not find the requested resource (${path})`);
      else sendJson(res, 200, document);
      return;
    }
    const found = resourcePath === undefined ? undefined : this.#store.resourceAt(resourcePath);
    const resource = found !== undefined && this.#withheld.has(found.kind) ? undefined : found;
    if (resourcePath === undefined || resource === undefined) {
      sendStatus(res, 404, `the server could not find the requested resource (${req.method} ${path})`);
      return;
    }
    if (req.method === 'POST' || req.method === 'PUT') {
      await this.#write(req, res, resource, resourcePath);
      return;
    }
    if (req.method !== 'GET') {
      sendStatus(res, 405, `the fake API server does not serve ${req.method} on ${resource.plural}`);
      return;
    }
    this.#read(url, resource, resourcePath, verb, res);
  }

  /**
   * Create (POST to the collection) and replace (PUT to the object), as kube-apiserver does them:
   * a create of an existing name is 409 AlreadyExists; a replace whose metadata.resourceVersion is
   * set and not the stored one is 409 Conflict (optimistic concurrency); a replace of a missing
   * object is 404. The answer is the stored object with its new resourceVersion.
   */
  async #write(req: IncomingMessage, res: ServerResponse, resource: FakeResource, path: ResourcePath): Promise<void> {
    if (path.namespace !== undefined && !resource.namespaced) {
      sendStatus(res, 404, `${resource.plural} is not namespaced`);
      return;
    }
    let body: FakeObject;
    try {
      body = parseWriteBody(await readBody(req), resource, path);
    } catch (err) {
      sendStatus(res, 400, err instanceof Error ? err.message : String(err));
      return;
    }
    const existing = this.#store.get(resource, path.namespace, body.metadata.name);
    const name = body.metadata.name;
    if (req.method === 'POST') {
      if (path.name !== undefined) {
        sendStatus(res, 405, `create ${resource.plural} by POST to the collection, not to ${name}`);
      } else if (existing !== undefined) {
        sendJson(res, 409, {
          ...statusObject(409, `${resource.plural} "${name}" already exists`),
          reason: 'AlreadyExists',
        });
      } else {
        sendJson(res, 201, this.#store.add(body));
      }
      return;
    }
    if (path.name === undefined || path.name !== name) {
      sendStatus(res, 400, `the name in the path (${String(path.name)}) does not match metadata.name (${name})`);
    } else if (existing === undefined) {
      sendStatus(res, 404, `${resource.plural} "${name}" not found`);
    } else if (
      body.metadata.resourceVersion !== undefined &&
      body.metadata.resourceVersion !== existing.metadata.resourceVersion
    ) {
      sendStatus(
        res,
        409,
        `Operation cannot be fulfilled on ${resource.plural} "${name}": the object has been modified; ` +
          'please apply your changes to the latest version and try again',
      );
    } else {
      sendJson(res, 200, this.#store.update(body));
    }
  }

  #read(url: URL, resource: FakeResource, path: ResourcePath, verb: RequestVerb, res: ServerResponse): void {
    if (path.namespace !== undefined && !resource.namespaced) {
      sendStatus(res, 404, `${resource.plural} is not namespaced`);
      return;
    }
    if (verb === 'get' && path.name !== undefined) {
      const object = this.#store.get(resource, path.namespace, path.name);
      if (object === undefined) sendStatus(res, 404, `${resource.plural} "${path.name}" not found`);
      else sendJson(res, 200, object);
      return;
    }
    let matches;
    try {
      const labels = compileSelector(url.searchParams.get('labelSelector'));
      const fields = compileSelector(url.searchParams.get('fieldSelector'), SELECTABLE_FIELDS);
      const selected = objectMatcher(labels, fields, selectableFields);
      const name = path.name;
      matches = name === undefined ? selected : (o: FakeObject) => o.metadata.name === name && selected(o);
    } catch (err) {
      sendStatus(res, 400, err instanceof Error ? err.message : String(err));
      return;
    }
    if (verb === 'watch') {
      const timeout = url.searchParams.get('timeoutSeconds');
      const timeoutSeconds = timeout === null ? undefined : Number(timeout);
      if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds > 0)) {
        sendStatus(res, 400, `invalid timeoutSeconds ${JSON.stringify(timeout)}`);
        return;
      }
      const spec = {
        resource,
        namespace: path.namespace,
        matches,
        resourceVersion: url.searchParams.get('resourceVersion'),
        allowBookmarks: isTrue(url.searchParams.get('allowWatchBookmarks')),
        timeoutSeconds,
      };
      this.#watches.open(spec, res, this.#expiredAnswer);
      return;
    }
    const page = this.#page(url, () => ({
      resourceVersion: String(this.#store.resourceVersion),
      items: this.#store.list(resource, path.namespace, matches),
    }));
    if (page === undefined) {
      sendStatus(res, 410, 'the provided continue parameter is too old or unknown; list again without it');
      return;
    }
    if (page === 'invalid') {
      sendStatus(res, 400, `invalid limit ${JSON.stringify(url.searchParams.get('limit'))}`);
      return;
    }
    sendJson(res, 200, {
      apiVersion: apiVersionOf(resource),
      kind: `${resource.kind}List`,
      metadata: {
        resourceVersion: page.resourceVersion,
        ...(page.continue === undefined ? {} : { continue: page.continue, remainingItemCount: page.remaining }),
      },
      items: page.items,
    });
  }

  /**
   * One page of a list (`limit` and `continue`, as kube-apiserver pages them): the first request
   * takes a snapshot, so every page of one list shows the same resourceVersion and objects, and
   * `continue` names the snapshot and the next item. Unknown tokens answer undefined (410).
   */
  #page(
    url: URL,
    snapshot: () => { resourceVersion: string; items: FakeObject[] },
  ): { resourceVersion: string; items: FakeObject[]; continue?: string; remaining: number } | 'invalid' | undefined {
    const limitParam = url.searchParams.get('limit');
    const limit = limitParam === null || limitParam === '' ? 0 : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 0) return 'invalid';
    const token = url.searchParams.get('continue');
    let id: string;
    let offset: number;
    let taken: { resourceVersion: string; items: FakeObject[] } | undefined;
    if (token === null || token === '') {
      taken = snapshot();
      if (limit === 0 || taken.items.length <= limit) return { ...taken, remaining: 0 };
      id = String(++this.#listSnapshotIds);
      this.#listSnapshots.set(id, taken);
      offset = 0;
    } else {
      const [tokenId = '', tokenOffset = ''] = Buffer.from(token, 'base64url').toString().split(':');
      id = tokenId;
      offset = Number(tokenOffset);
      taken = this.#listSnapshots.get(id);
      if (taken === undefined || !Number.isInteger(offset)) return undefined;
    }
    const end = limit === 0 ? taken.items.length : offset + limit;
    const items = taken.items.slice(offset, end);
    if (end >= taken.items.length) {
      this.#listSnapshots.delete(id);
      return { resourceVersion: taken.resourceVersion, items, remaining: 0 };
    }
    return {
      resourceVersion: taken.resourceVersion,
      items,
      continue: Buffer.from(`${id}:${end}`).toString('base64url'),
      remaining: taken.items.length - end,
    };
  }

  async #review(req: IncomingMessage, res: ServerResponse, answer: (body: unknown) => Promise<ReviewResponse>) {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      sendStatus(res, 400, `request body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const response = await answer(body);
    if (response.type === 'status') sendStatus(res, response.code, response.message);
    else sendJson(res, response.code, response.body);
  }

  async #tokenReview(body: unknown, bearerToken: string | undefined): Promise<ReviewResponse> {
    const request = parseTokenReview(body, bearerToken);
    if (isReviewResponse(request)) return request;
    this.#tokenReviews.push(request);
    return tokenReviewResponse(request, await this.#tokenReviewer(request));
  }

  async #accessReview(body: unknown, bearerToken: string | undefined): Promise<ReviewResponse> {
    const request = parseAccessReview(body, bearerToken);
    if (isReviewResponse(request)) return request;
    this.#accessReviews.push(request);
    return accessReviewResponse(request, await this.#accessReviewer(request));
  }

  #takeFailure(path: string, verb: RequestVerb): PlannedFailure | undefined {
    const index = this.#failures.findIndex((f) => f.path === path && (f.verb === 'any' || f.verb === verb));
    const plan = this.#failures[index];
    if (plan === undefined) return undefined;
    plan.remaining -= 1;
    if (plan.remaining <= 0) this.#failures.splice(index, 1);
    return plan.failure;
  }
}

function parseWriteBody(text: string, resource: FakeResource, path: ResourcePath): FakeObject {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('request body is not a JSON object');
  }
  const object = parsed as Partial<FakeObject>;
  const metadata = object.metadata;
  if (
    typeof metadata === 'object' &&
    (metadata.name === undefined || metadata.name === '') &&
    path.name === undefined
  ) {
    // A create with generateName gets a name made from it, as the API server does.
    const prefix = metadata['generateName'];
    if (typeof prefix === 'string' && prefix !== '')
      metadata.name = `${prefix}${Math.random().toString(36).slice(2, 7)}`;
  }
  if (typeof metadata !== 'object' || typeof metadata.name !== 'string' || metadata.name.length === 0) {
    throw new Error('metadata.name (or, on create, metadata.generateName) is required');
  }
  if (metadata.namespace !== undefined && metadata.namespace !== path.namespace) {
    throw new Error(`metadata.namespace (${metadata.namespace}) does not match the path (${String(path.namespace)})`);
  }
  const written: FakeObject = {
    ...object,
    apiVersion: apiVersionOf(resource),
    kind: resource.kind,
    metadata: { ...metadata, name: metadata.name },
  };
  if (path.namespace !== undefined) written.metadata.namespace = path.namespace;
  return written;
}

function verbOf(method: string | undefined, url: URL, path: ResourcePath | undefined): RequestVerb {
  if (method === 'POST') return 'create';
  if (method !== 'GET') return 'other';
  if (isTrue(url.searchParams.get('watch'))) return 'watch';
  return path?.name === undefined ? 'list' : 'get';
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function bearerOf(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
