import t from 'tap';
import { maskCli } from './mask-cli.js';
import { makeFakes, mulberry32 } from '../../fixtures/mask-spec/fakes.js';

// `keyward mask --findings` names each type the breadth detectors add (one process, as an operator runs it).
t.setTimeout(180_000);
const f = makeFakes(mulberry32(7));

const lines: [string, string][] = [
  ['azure_storage_key', `AccountName=acme;EndpointSuffix=core.windows.net;AccountKey=${f.azureAccountKey()}`],
  ['azure_sas_signature', `https://a.blob.core.windows.net/c/x?sv=2022-11-02&sp=r&se=2026-12-31&sig=${f.azureSig()}`],
  ['presigned_url_signature', `https://b.s3.amazonaws.com/k?X-Amz-Expires=900&X-Amz-Signature=${f.amzSignature()}`],
  ['google_api_key', `key ${f.googleApiKey()}`],
  ['npm_token', `token ${f.npmToken()}`],
  ['pypi_token', `upload ${f.pypiToken()}`],
  ['docker_hub_token', `hub ${f.dockerHubToken()}`],
  ['gitlab_token', `gl ${f.gitlabToken()}`],
  ['sendgrid_api_key', `sg ${f.sendgridKey()}`],
  ['twilio_api_key', `tw ${f.twilioApiKey()}`],
  ['mailgun_api_key', `mg ${f.mailgunKey()}`],
  ['mailchimp_api_key', `mc ${f.mailchimpKey()}`],
  ['huggingface_token', `hf ${f.huggingFaceToken()}`],
  ['openai_api_key', `oa ${f.openaiProject()}`],
  ['anthropic_api_key', `an ${f.anthropicKey()}`],
  ['datadog_personal_access_token', `pat ${f.datadogPat()}`],
  ['datadog_service_access_token', `sat ${f.datadogSat()}`],
  ['session_cookie', `Cookie: sessionid=${f.sessionId()}`],
  ['oauth_code', `GET /cb?state=abc&code=${f.oauthCode()}`],
  ['oauth_token', `refresh_token=${f.refreshToken()}`],
  ['registry_token', `//registry.npmjs.org/:_authToken=${f.sessionId()}`],
  ['password', `CREATE USER app WITH PASSWORD '${f.password()}'`],
  ['private_key', `tls.key: ${Buffer.from(f.pemPrivateKey()).toString('base64')}`],
  ['docker_config_auth', `.dockerconfigjson: ${f.dockerConfig()}`],
  ['uk_nino', `NI ${f.nino(true)}`],
  ['phone_number', `call 020 7946 0123`],
  ['ipv6', `client_ip:${f.ipv6()},env:prod`],
];

t.test('cli mask --findings: each new type is named, and no value is printed', async (t) => {
  const body = lines.map(([, l]) => l).join('\n');
  const r = maskCli(['-', '--findings', '--content-type', 'text/plain'], Buffer.from(body));
  t.equal(r.status, 0);
  const doc = JSON.parse(r.stderr.toString()) as { findings: { type: string; count: number }[] };
  const types = new Set(doc.findings.map((x) => x.type));
  for (const [type] of lines) t.ok(types.has(type), `${type} named`);
  const out = r.stdout.toString();
  for (const [, line] of lines) {
    const value = line.split(/[ =:]/).pop()!.replace(/'/g, '');
    if (value.length >= 12) t.notOk(out.includes(value) || r.stderr.toString().includes(value), 'value gone from stdout and stderr');
  }
});
