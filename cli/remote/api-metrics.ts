import type { ProvisionStep } from './host-setup';
import { exporterFirewall, type NodeExporterSetting } from './node-exporter';

/**
 * The firewall of the API's metrics listener (monitoring.api_metrics; nginx serves it): the allowed ranges in to
 * its private address, or no rule (loopback, or off: one left from an earlier setting is dropped).
 */
export function apiMetricsStep(setting: NodeExporterSetting | undefined): ProvisionStep {
  const reach = setting ? (setting.allowFrom.length > 0 ? `on ${setting.listen}, reachable from ${setting.allowFrom.join(', ')} only` : `on ${setting.listen}, this host only`) : 'off';
  return { title: `API metrics for Prometheus (nginx): ${reach}`, commands: [exporterFirewall(setting, { comment: 'nexus-api-metrics', what: 'API metrics' })] };
}
