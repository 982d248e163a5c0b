/**
 * A Datadog logs-intake body of about `bytes` bytes: realistic entries (service, host, tags, message)
 * with a few fake secrets and PII planted in messages, as an agent's log forwarding would carry them.
 * Deterministic, so every run masks the same bytes.
 */
export function logsPayload(bytes: number): Buffer {
  const planted = [
    'aws key AKIAIOSFODNN7EXAMPLE rotated',
    'contact ops-oncall@example.com for access',
    'connect postgres://app:s3cr3t-Pa55@db.internal:5432/orders failed',
    'client 10.20.30.40 retried',
  ];
  const entries: string[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const message = i % 10 === 0 ? planted[(i / 10) % planted.length]! : `GET /api/orders/${100000 + i} 200 ${(i * 7) % 450}ms trace_id=${(0x4bf92f35n * BigInt(i + 1)).toString(16).padStart(16, '0')}`;
    const entry = JSON.stringify({
      ddsource: 'nodejs',
      ddtags: `env:prod,version:1.${i % 20}.0,team:checkout`,
      hostname: `web-${i % 12}.prod.internal`,
      service: 'checkout',
      status: i % 17 === 0 ? 'error' : 'info',
      timestamp: 1764100000000 + i * 13,
      message,
    });
    entries.push(entry);
    size += entry.length + 1;
  }
  return Buffer.from(`[${entries.join(',')}]`, 'utf8');
}
