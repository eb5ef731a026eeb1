// Where settings come from: an injectable map of names to raw strings.
//
// Only main.ts files pass `process.env` in; everything else receives an EnvSource, so tests and the
// local mesh can hand a component its settings without touching the process environment. Command
// line flags are folded into the same map by the CLI (flags win over the environment).

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** A new source with `overrides` layered over `base`; undefined overrides are ignored. */
export function layerEnv(base: EnvSource, overrides: EnvSource): EnvSource {
  const merged: Record<string, string | undefined> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[name] = value;
  }
  return Object.freeze(merged);
}
