// Public surface of proxy/init: `nodemesh proxy-init` (the iptables rules of the init container),
// and the pieces the CNI plugin and the end-to-end tests reuse: the config, the rules as data, their
// text form, and the idempotent applier.
export { runProxyInit, renderDryRun, type ProxyInitDeps } from './proxy-init-command.ts';
export { PROXY_INIT_HELP } from './proxy-init-help.ts';
export {
  parseProxyInitConfig,
  PROXY_INIT_FLAGS,
  PROXY_INIT_SETTINGS,
  ALWAYS_IGNORED_INBOUND_PORTS,
  IPTABLES_MODES,
  ENV_INCOMING_PROXY_PORT,
  ENV_OUTGOING_PROXY_PORT,
  ENV_PROXY_UID,
  ENV_PROXY_GID,
  ENV_INBOUND_PORTS_TO_IGNORE,
  ENV_OUTBOUND_PORTS_TO_IGNORE,
  ENV_PORTS_TO_REDIRECT,
  ENV_SUBNETS_TO_IGNORE,
  ENV_IPV6,
  ENV_IPTABLES_MODE,
  ENV_DRY_RUN,
  ENV_NETNS,
  type ProxyInitConfig,
  type ProxyInitFlags,
  type IptablesMode,
} from './proxy-init-config.ts';
export {
  buildFirewallPlans,
  buildFirewallPlan,
  ruleArgs,
  NAT_TABLE,
  REDIRECT_CHAIN,
  OUTPUT_CHAIN,
  type FirewallPlan,
  type FirewallRule,
} from './firewall-rules.ts';
export { renderRestore, renderRuleLine, parseSavedRules, hasJump, type SavedRule } from './firewall-text.ts';
export { applyFirewallPlan, type ApplyReport } from './firewall-apply.ts';
export { resolveBackend, binaryNames, type FirewallBackend, type FirewallBinaries } from './firewall-backend.ts';
export {
  createFirewallRunner,
  spawnExec,
  whichInPath,
  type Exec,
  type ExecRequest,
  type ExecResult,
  type FirewallRunner,
  type Which,
} from './firewall-exec.ts';
export { FirewallBinaryMissingError, FirewallPermissionError, FirewallCommandError } from './firewall-errors.ts';
export { parsePortRanges, chunkPortRanges, formatPortRange, MULTIPORT_LIMIT, type PortRange } from './port-ranges.ts';
export { parseCidr, formatCidr, type Cidr, type IpFamily } from './cidr.ts';
