// Editing the node's CNI network configuration: find the file the runtime uses (the first
// `.conflist`, `.conf` or `.json` in name order, as the kubelet and containerd pick it), and add
// or remove the nodemesh entry at the end of its plugin chain. A single-plugin `.conf` becomes a
// `.conflist` with that plugin first.
//
// Contract: pure functions on text. `addPlugin` is idempotent: when an entry of our type is
// already last and equal, nothing changes; an outdated or misplaced one is replaced by the new one
// at the end. Errors are ConflistError naming the file and what is wrong with it.

export const CONFIG_EXTENSIONS: readonly string[] = ['.conflist', '.conf', '.json'];

export class ConflistError extends Error {
  override readonly name = 'ConflistError';
}

/** The network configuration file the runtime uses among `names`, or undefined. */
export function pickConfigFile(names: readonly string[], ignore: readonly string[] = []): string | undefined {
  return [...names]
    .filter((n) => !n.startsWith('.') && !ignore.includes(n) && CONFIG_EXTENSIONS.some((ext) => n.endsWith(ext)))
    .sort()[0];
}

export interface Edited {
  /** The file name to write (a `.conf` turned into `.conflist` gets a new name). */
  readonly fileName: string;
  readonly text: string;
  readonly changed: boolean;
}

type Plugin = Record<string, unknown>;

export function addPlugin(fileName: string, text: string, plugin: Plugin): Edited {
  const type = plugin['type'];
  const doc = parse(fileName, text);
  let list: Record<string, unknown>;
  let outName = fileName;
  if (Array.isArray(doc['plugins'])) {
    list = doc;
  } else if (typeof doc['type'] === 'string') {
    // A single plugin: make it a list holding it, under a .conflist name.
    const { cniVersion, name, ...rest } = doc;
    list = { cniVersion, name, plugins: [rest] };
    outName = `${fileName.replace(/\.(conf|json)$/, '')}.conflist`;
  } else {
    throw new ConflistError(`${fileName} has neither "plugins" nor "type"; it is not a CNI network configuration`);
  }
  const plugins = (list['plugins'] as unknown[]).filter((p) => !isObject(p) || p['type'] !== type);
  const current = list['plugins'] as unknown[];
  const last = current[current.length - 1];
  if (
    outName === fileName &&
    plugins.length === current.length - 1 &&
    JSON.stringify(last) === JSON.stringify(plugin)
  ) {
    return { fileName, text, changed: false };
  }
  const out = { ...list, plugins: [...plugins, plugin] };
  return { fileName: outName, text: `${JSON.stringify(out, null, 2)}\n`, changed: true };
}

/** The configuration without entries of `type`; unchanged when it has none. */
export function removePlugin(fileName: string, text: string, type: string): Edited {
  const doc = parse(fileName, text);
  if (!Array.isArray(doc['plugins'])) return { fileName, text, changed: false };
  const plugins = doc['plugins'] as unknown[];
  const kept = plugins.filter((p) => !isObject(p) || p['type'] !== type);
  if (kept.length === plugins.length) return { fileName, text, changed: false };
  return { fileName, text: `${JSON.stringify({ ...doc, plugins: kept }, null, 2)}\n`, changed: true };
}

/** True when the configuration's chain ends with an entry of `type`. */
export function hasPlugin(fileName: string, text: string, type: string): boolean {
  const doc = parse(fileName, text);
  const plugins = doc['plugins'];
  return Array.isArray(plugins) && plugins.some((p) => isObject(p) && p['type'] === type);
}

function parse(fileName: string, text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConflistError(`${fileName} is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new ConflistError(`${fileName} is not a JSON object`);
  return doc;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
