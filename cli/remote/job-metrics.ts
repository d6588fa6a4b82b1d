import { quote } from './shell';

/** The labels of a job's series: which shop, which target, which job. */
export interface JobLabels {
  app: string;
  target: string;
  job: string;
}

/** A label set as it goes inside the script's double-quoted `echo`: `{a=\"x\",b=\"y\"}`. */
const labelSet = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([name, value]) => `${name}=\\"${value.replace(/["\\\n]/g, '')}\\"`)
    .join(',')}}`;

/**
 * The end of a job's script (it has `$status`): what the run reports to the node exporter's textfile collector
 * in `dir`. When this job last ran and with what exit status, when it last succeeded (kept from the previous
 * file while runs fail), and the expiry of the certificate on this host, if it is the renewal job's. Written
 * whole, then renamed, so a scrape never reads half a file; nothing when the directory is not there.
 */
export function jobMetrics(dir: string, labels: JobLabels, certificate?: { domain: string; fullchain: string }): string {
  const file = quote(`${dir}/nexus-job-${labels.job}.prom`);
  const expiry = certificate
    ? `
    end=$(openssl x509 -enddate -noout -in ${quote(certificate.fullchain)} 2>/dev/null | sed 's/^notAfter=//')
    expiry=$(date -u -d "$end" +%s 2>/dev/null) && [ -n "$end" ] && {
      echo '# HELP nexus_certificate_expiry_timestamp_seconds When the site certificate on this host expires (Unix time).'
      echo '# TYPE nexus_certificate_expiry_timestamp_seconds gauge'
      echo "nexus_certificate_expiry_timestamp_seconds${labelSet({ app: labels.app, target: labels.target, domain: certificate.domain })} $expiry"
    }`
    : '';
  const series = labelSet({ ...labels });
  return `# For the Prometheus node exporter's textfile collector (docs/observability.md).
if [ -d ${quote(dir)} ] && [ -w ${quote(dir)} ]; then
  file=${file}
  now=$(date -u +%s)
  succeeded=$(sed -n 's/^nexus_job_last_success_timestamp_seconds{.*} \\([0-9][0-9]*\\)$/\\1/p' "$file" 2>/dev/null)
  [ "$status" -eq 0 ] && succeeded=$now
  {
    echo '# HELP nexus_job_last_run_timestamp_seconds When a scheduled nexus job last finished a run (Unix time).'
    echo '# TYPE nexus_job_last_run_timestamp_seconds gauge'
    echo "nexus_job_last_run_timestamp_seconds${series} $now"
    echo '# HELP nexus_job_last_exit_code The exit status of the last run of a scheduled nexus job (0: it succeeded).'
    echo '# TYPE nexus_job_last_exit_code gauge'
    echo "nexus_job_last_exit_code${series} $status"
    if [ -n "$succeeded" ]; then
      echo '# HELP nexus_job_last_success_timestamp_seconds When a scheduled nexus job last succeeded (Unix time).'
      echo '# TYPE nexus_job_last_success_timestamp_seconds gauge'
      echo "nexus_job_last_success_timestamp_seconds${series} $succeeded"
    fi${expiry}
  } > "$file.tmp" && chmod 644 "$file.tmp" && mv -f "$file.tmp" "$file"
fi`;
}
