/** What a bench server child tells the runner over IPC. */
export type ChildMessage =
  | { type: 'ready'; authz: string; proc: string | null; token: string; /** One token per bench agent (distinct subjects); `token` is the first. */ agentTokens: string[]; audit: string; readyMs: number; /** The bench's own set-up inside the child before the server starts (not part of its start). */ prepMs: number }
  | { type: 'stats'; rssBytes: number; auditedCalls: number; /** user + system CPU of the whole process (every thread), µs. */ cpuMicros: number; /** The system (kernel) part of cpuMicros. */ sysMicros: number }
  | { type: 'failed'; message: string }
  | { type: 'profiled'; file: string };

/** What the runner asks. */
export type ParentMessage = { type: 'stats' } | { type: 'stop' } | { type: 'profile'; action: 'start' } | { type: 'profile'; action: 'stop'; file: string };

export type ServerKind = 'floor' | 'keyward';
