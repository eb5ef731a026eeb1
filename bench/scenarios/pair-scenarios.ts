// The proxy-pair and footprint scenarios of issue 13, by `npm run bench` name.

import type { BenchScenario } from '../lib/scenario.ts';
import { footprintScenario } from './footprint.ts';
import { pairChurnScenario } from './pair-churn.ts';
import { pairLargeScenario } from './pair-large.ts';
import { pairLatencyScenario } from './pair-latency.ts';
import { pairMemorySettingsScenario } from './pair-memory-settings.ts';
import { pairThroughputScenario } from './pair-throughput.ts';

export const PAIR_SCENARIOS: Readonly<Record<string, BenchScenario>> = {
  'pair-http1': pairThroughputScenario('h1'),
  'pair-h2': pairThroughputScenario('h2'),
  'pair-grpc': pairThroughputScenario('grpc'),
  'pair-latency': pairLatencyScenario(),
  'pair-churn': pairChurnScenario(),
  'pair-large-http1': pairLargeScenario('large-h1'),
  'pair-large-h2': pairLargeScenario('large-h2'),
  footprint: footprintScenario(),
  'pair-memory-settings': pairMemorySettingsScenario(),
};
