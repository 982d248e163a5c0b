import type { Detector } from '../types.js';
import { shannonEntropy } from '../validators.js';

/**
 * Fixed-prefix and fixed-shape credentials of cloud, registry, messaging and ML services. Formats
 * learned from public rule sets (gitleaks, detect-secrets, Datadog's sensitive-data-scanner library,
 * the vendors' own token-format pages); the patterns are ours. Every body is a bounded run of one
 * class after a literal prefix, closed by a lookahead on the same class (safety.ts R3-R5).
 */
const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

const mixed = (s: string): boolean => /[0-9]/.test(s) && /[A-Za-z]/.test(s);

/** `AccountKey=` of an Azure storage connection string: 64 bytes in base64. */
export const azureStorageKey: Detector = {
  type: 'azure_storage_key',
  priority: 80,
  keywords: ['key'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{40,88}={0,2})(?![A-Za-z0-9+/=])`, 'gi'),
  validate: (key) => shannonEntropy(key) >= 4,
};

/** The `sig=` of an Azure shared access signature (a query that also carries `sv=` or `se=`). */
export const azureSasSignature: Detector = {
  type: 'azure_sas_signature',
  priority: 80,
  keywords: ['sig='],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<=[?&;])sig=([A-Za-z0-9%+/=_-]{20,256})(?![A-Za-z0-9%+/=_-])`, 'gi'),
  validate: (_sig, ctx) => /[?&;]s[vep]=/i.test(ctx.text.slice(Math.max(0, ctx.index - 1024), ctx.index + 512)),
};

/** SigV4 and GCS V4 presigned URLs: the signature, and an STS session token riding along. */
export const presignedSignature: Detector = {
  type: 'presigned_url_signature',
  priority: 80,
  keywords: ['x-amz-', 'x-goog-'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9-])X-(?:Amz-Signature|Goog-Signature|Amz-Security-Token)=([A-Za-z0-9%+/=_-]{16,4096})(?![A-Za-z0-9%+/=_-])`, 'gi'),
  validate: (value, ctx) => {
    const name = ctx.match.slice(0, 8).toLowerCase();
    if (name === 'x-amz-se') return 'aws_session_token';
    return /^[0-9a-f]{64,1024}$/.test(value) && (name === 'x-goog-s' || value.length === 64);
  },
};

export const googleApiKey: Detector = {
  type: 'google_api_key',
  priority: 80,
  keywords: ['AIza'],
  pattern: re(String.raw`(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])`),
};

/** Package and container registries: npm, PyPI (a macaroon for pypi.org), Docker Hub, GitLab. */
export const npmToken: Detector = {
  type: 'npm_token',
  priority: 80,
  keywords: ['npm_'],
  pattern: re(String.raw`(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])`),
  validate: (t) => mixed(t.slice(4)),
};

/** A PyPI token is `pypi-` + a base64url macaroon whose location is pypi.org (or test.pypi.org). */
export function pypiMacaroonValid(token: string): boolean {
  const head = Buffer.from(token.slice(5, 5 + 40), 'base64url').toString('latin1');
  return head.includes('pypi.org');
}

export const pypiToken: Detector = {
  type: 'pypi_token',
  priority: 80,
  keywords: ['pypi-Ag'],
  pattern: re(String.raw`(?<![A-Za-z0-9_-])pypi-Ag[A-Za-z0-9_-]{50,4096}(?![A-Za-z0-9_-])`),
  validate: pypiMacaroonValid,
};

export const dockerHubToken: Detector = {
  type: 'docker_hub_token',
  priority: 80,
  keywords: ['dckr_'],
  pattern: re(String.raw`(?<![A-Za-z0-9_])dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,64}(?![A-Za-z0-9_-])`),
};

export const gitlabToken: Detector = {
  type: 'gitlab_token',
  priority: 80,
  keywords: ['gl'],
  pattern: re(String.raw`(?<![A-Za-z0-9_-])gl(?:pat|dt|rt|ptt|cbt|oas|soat|ft)-[A-Za-z0-9_-]{20,64}(?:\.[A-Za-z0-9_-]{2,64}){0,2}(?![A-Za-z0-9_.-])`),
  validate: (t) => mixed(t.slice(t.indexOf('-') + 1)),
};

/** Messaging and e-mail APIs. */
export const sendgridKey: Detector = {
  type: 'sendgrid_api_key',
  priority: 80,
  keywords: ['SG.'],
  pattern: re(String.raw`(?<![A-Za-z0-9_.-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`),
};

export const twilioApiKey: Detector = {
  type: 'twilio_api_key',
  priority: 80,
  keywords: ['SK'],
  pattern: re(String.raw`(?<![A-Za-z0-9_])SK[0-9a-f]{32}(?![A-Za-z0-9_])`),
  validate: mixed,
};

/** Mailgun: `key-` + 32 hex (classic), and the newer 32-8-8 hex private keys next to the word mailgun. */
export const mailgunKey: Detector = {
  type: 'mailgun_api_key',
  priority: 80,
  keywords: ['key-'],
  pattern: re(String.raw`(?<![A-Za-z0-9_-])key-[0-9a-f]{32}(?![A-Za-z0-9_-])`),
  validate: (k) => mixed(k.slice(4)),
};

export const mailgunPrivateKey: Detector = {
  type: 'mailgun_api_key',
  priority: 80,
  keywords: ['mailgun'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9_-])[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}(?![A-Za-z0-9_-])`),
};

/** Mailchimp: 32 hex and the datacenter, `-us21`. Anchored on `-us`; the hex sits in a lookbehind. */
export const mailchimpKey: Detector = {
  type: 'mailchimp_api_key',
  priority: 80,
  keywords: ['-us'],
  pattern: re(String.raw`-us(?<=(?<![A-Za-z0-9_-])([0-9a-f]{32})-us)[0-9]{1,2}(?![A-Za-z0-9_-])`, 'gd'),
  leadingGroup: true,
};

/** ML hubs: Hugging Face, OpenAI (legacy `T3BlbkFJ` marker, project, service-account and admin keys), Anthropic. */
export const huggingFaceToken: Detector = {
  type: 'huggingface_token',
  priority: 80,
  keywords: ['hf_', 'api_org_'],
  pattern: re(String.raw`(?<![A-Za-z0-9_])(?:hf|api_org)_[A-Za-z0-9]{34,40}(?![A-Za-z0-9_])`),
  validate: (t) => shannonEntropy(t) >= 3.5,
};

export const anthropicKey: Detector = {
  type: 'anthropic_api_key',
  priority: 82,
  keywords: ['sk-'],
  pattern: re(String.raw`(?<![A-Za-z0-9_-])sk-ant-(?:api|admin|oat|sid)[0-9]{2}-[A-Za-z0-9_-]{80,160}(?![A-Za-z0-9_-])`),
};

export const openaiKey: Detector = {
  type: 'openai_api_key',
  priority: 80,
  keywords: ['sk-'],
  pattern: re(String.raw`(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,256}(?![A-Za-z0-9_-])`),
  validate: (k) => {
    if (k.startsWith('sk-ant-')) return false;
    if (k.includes('T3BlbkFJ')) return true;
    const body = k.slice(k.indexOf('-', 3) > 0 && /^sk-(?:proj|svcacct|admin)-/.test(k) ? k.indexOf('-', 3) + 1 : 3);
    return body.length >= 32 && /[a-z]/.test(body) && /[A-Z]/.test(body) && /[0-9]/.test(body) && shannonEntropy(body) >= 4;
  },
};

/** Datadog personal and service access tokens, and `ddap_` application keys (`ddapp_` lives in secrets.ts). */
export const datadogAccessToken: Detector = {
  type: 'datadog_personal_access_token',
  priority: 85,
  keywords: ['ddpat_', 'ddsat_', 'ddap_'],
  pattern: re(String.raw`(?<![A-Za-z0-9_])(?:ddpat_|ddsat_|ddap_)[A-Za-z0-9_-]{20,256}(?![A-Za-z0-9_-])`),
  validate: (t) => {
    if (t.startsWith('ddpat_')) return 'datadog_personal_access_token';
    if (t.startsWith('ddsat_')) return 'datadog_service_access_token';
    return 'datadog_app_key';
  },
};

export const vendorKeyDetectors: readonly Detector[] = [
  azureStorageKey,
  azureSasSignature,
  presignedSignature,
  googleApiKey,
  npmToken,
  pypiToken,
  dockerHubToken,
  gitlabToken,
  sendgridKey,
  twilioApiKey,
  mailgunKey,
  mailgunPrivateKey,
  mailchimpKey,
  huggingFaceToken,
  anthropicKey,
  openaiKey,
  datadogAccessToken,
];
