import type { Detector } from '../types.js';
import { jwtValid } from '../validators.js';

/** Between a key name and its value: optional escapes and quotes around `:` or `=`, a few blanks. */
export const SEP = String.raw`\\{0,3}["']?[ \t]{0,3}[:=]?[ \t]{0,3}\\{0,3}["']?`;

const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

/**
 * Datadog keys are plain hex, like trace ids and MD5s: only a key-like name in front makes them keys.
 * Patterns start with the name (literals V8 finds fast) and check the boundary before it in a lookbehind.
 */
export const datadogApiKey: Detector = {
  type: 'datadog_api_key',
  priority: 85,
  keywords: ['api_key', 'api-key', 'apikey', 'v1/input/'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?:dd[_-]?api[_-]?key|datadog[_-]?api[_-]?key|x-datadog-api-key|api[_-]?key|v1/input/)(?<=(?<![A-Za-z0-9])(?:dd[_-]?api[_-]?key|datadog[_-]?api[_-]?key|x-datadog-api-key|api[_-]?key|v1/input/))${SEP}([a-fA-F0-9]{32})(?![A-Za-z0-9])`, 'gi'),
};

export const datadogAppKeyInContext: Detector = {
  type: 'datadog_app_key',
  priority: 85,
  keywords: ['application_key', 'application-key', 'applicationkey', 'app_key', 'app-key', 'appkey'],
  keywordsIgnoreCase: true,
  pattern: re(
    String.raw`(?:dd[_-]?application[_-]?key|datadog[_-]?application[_-]?key|x-datadog-application-key|application[_-]?key|dd[_-]?app[_-]?key|app[_-]?key)(?<=(?<![A-Za-z0-9])(?:dd[_-]?application[_-]?key|datadog[_-]?application[_-]?key|x-datadog-application-key|application[_-]?key|dd[_-]?app[_-]?key|app[_-]?key))${SEP}([a-fA-F0-9]{40}|ddapp_[A-Za-z0-9]{20,128})(?![A-Za-z0-9])`,
    'gi',
  ),
};

/** Newer application keys carry their own prefix. */
export const datadogAppKey: Detector = {
  type: 'datadog_app_key',
  priority: 85,
  // No keyword: every letter of `ddapp_` is common, so looking for it costs as much as this pattern.
  keywords: [],
  pattern: re(String.raw`(?<![A-Za-z0-9_])ddapp_[A-Za-z0-9]{20,128}(?![A-Za-z0-9])`),
};

export const awsAccessKeyId: Detector = {
  type: 'aws_access_key_id',
  priority: 80,
  keywords: ['AKIA', 'ASIA'],
  pattern: re(String.raw`(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])`),
};

export const awsSecretAccessKey: Detector = {
  type: 'aws_secret_access_key',
  priority: 80,
  keywords: ['secret'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9])(?:aws[_-]?secret[_-]?access[_-]?key|secret[_-]?access[_-]?key|aws[_-]?secret[_-]?key)${SEP}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, 'gi'),
};

const PEM_BODY = String.raw`(?:[A-Za-z0-9+/=\\\r\n\t :,.]|-(?!----))`;

/** A service-account key JSON (possibly escaped inside a log line): its private_key PEM, trailing `\n` included. */
export const gcpServiceAccountKey: Detector = {
  type: 'gcp_service_account_key',
  priority: 100,
  // Gated on a word of its own pattern (a rare capital: cheap to look for); the service-account
  // context is then checked once per match.
  keywords: ['PRIVATE KEY'],
  pattern: re(String.raw`private_key\\{0,3}"[ \t]{0,3}:[ \t]{0,3}\\{0,3}"(-----BEGIN PRIVATE KEY-----${PEM_BODY}{16,65536}-----END PRIVATE KEY-----(?:\\{1,3}n)?)`),
  validate: (_key, ctx) => ctx.text.includes('service_account'),
};

export const pemPrivateKey: Detector = {
  type: 'private_key',
  priority: 90,
  keywords: ['PRIVATE KEY'],
  pattern: re(String.raw`-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----${PEM_BODY}{16,65536}-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----`),
};

export const slackWebhook: Detector = {
  type: 'slack_webhook',
  priority: 80,
  keywords: ['hooks.slack.com'],
  pattern: re(String.raw`https?:(?:\\?/){2}hooks\.slack\.com(?:\\?/)(?:services|workflows|triggers)(?:\\?/)[A-Za-z0-9_\\/-]{20,300}(?![A-Za-z0-9_\\/-])`),
};

export const slackToken: Detector = {
  type: 'slack_token',
  priority: 80,
  keywords: ['xox', 'xapp-'],
  pattern: re(String.raw`(?<![A-Za-z0-9-])(?:xox[abposrce]|xapp)-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])`),
};

export const githubToken: Detector = {
  type: 'github_token',
  priority: 80,
  keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  pattern: re(String.raw`(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,251})(?![A-Za-z0-9_])`),
};

export const stripeKey: Detector = {
  type: 'stripe_key',
  priority: 80,
  keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_', 'whsec_'],
  pattern: re(String.raw`(?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}|whsec_[A-Za-z0-9]{24,247})(?![A-Za-z0-9])`),
};

export const jwt: Detector = {
  type: 'jwt',
  priority: 70,
  keywords: ['eyJ'],
  pattern: re(String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,8192}\.[A-Za-z0-9_-]{2,65536}\.[A-Za-z0-9_-]{0,8192}(?![A-Za-z0-9_.-])`),
  validate: (token) => jwtValid(token),
};

export const secretDetectors: readonly Detector[] = [
  gcpServiceAccountKey,
  pemPrivateKey,
  datadogApiKey,
  datadogAppKeyInContext,
  datadogAppKey,
  awsAccessKeyId,
  awsSecretAccessKey,
  slackWebhook,
  slackToken,
  githubToken,
  stripeKey,
  jwt,
];
