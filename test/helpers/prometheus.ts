import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** One sample of a metric family, as Prometheus' parser reads it (`name` with its _bucket/_count/_sum suffix). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** The family's name: a counter's without `_total`, a histogram's without `_bucket`/`_count`/`_sum`. */
  name: string;
  type: string;
  samples: Sample[];
}

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = [{"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
            for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(families))
`;

/**
 * Scrapes `url` and parses it with Prometheus' own text-format parser (prometheus_client, installed
 * into .tools by scripts/test.sh; MAINT_TEST_PROMETHEUS_CLIENT names it): a malformed exposition fails here.
 */
export async function scrapeMetrics(url: string): Promise<MetricFamily[]> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const text = await response.text();
  const pythonPath = process.env.MAINT_TEST_PROMETHEUS_CLIENT ?? join(__dirname, '..', '..', '.tools', 'prometheus-client-0.21.1');
  const parsed = spawnSync('python3', ['-c', PARSE], { input: text, encoding: 'utf8', env: { ...process.env, PYTHONPATH: pythonPath }, maxBuffer: 64 * 1024 * 1024 });
  if (parsed.status !== 0) throw new Error(`Prometheus' parser refused ${url}: ${parsed.stderr.trim().split('\n').pop() ?? ''}`);
  return JSON.parse(parsed.stdout) as MetricFamily[];
}

/** Sum of the samples named `sample` whose labels include `labels`. */
export function sampleSum(families: MetricFamily[], sample: string, labels: Record<string, string> = {}): number {
  return families.flatMap((f) => f.samples)
    .filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
