import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, loadConfigFile, type ConfigIssue, type KeywardConfig, type LoadOptions } from './load.js';

export interface ConfigStore<T> {
  /** The snapshot in force. A request reads it once and keeps it: it sees the old or the new config, never a mix. */
  current(): T;
  /** Re-reads the file; a bad file is refused with a log line and the old snapshot keeps serving. */
  reload(reason: string): boolean;
  /** Reload on file change (atomic renames included) until close(). */
  watch(): void;
  close(): void;
}

export interface ConfigStoreOptions<T> extends LoadOptions {
  path: string;
  compile: (config: KeywardConfig) => T;
  /** Problems that make a valid config unfit to serve (src/config/serving.ts); refused like a validation error. */
  check?: (config: KeywardConfig) => readonly ConfigIssue[];
  log: Logger;
  onSwap?: (next: T, config: KeywardConfig) => void;
  /** Called after every reload attempt, for metrics. */
  onReload?: (ok: boolean) => void;
}

/** Loads once (throwing ConfigError on a bad file at start), then swaps atomically on reload. */
export function createConfigStore<T>(options: ConfigStoreOptions<T>): ConfigStore<T> {
  const path = resolve(options.path);
  const load = (): KeywardConfig => {
    const loaded = loadConfigFile(path, options);
    const issues = options.check?.(loaded) ?? [];
    if (issues.length > 0) throw new ConfigError(path, [...issues]);
    return loaded;
  };
  let config = load();
  let snapshot = options.compile(config);
  warn(config);
  let lastHash = hashOf(path);
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;

  function reload(reason: string): boolean {
    const hash = hashOf(path);
    if (reason === 'file-change' && hash === lastHash) return true;
    try {
      const next = load();
      const compiled = options.compile(next);
      snapshot = compiled;
      config = next;
      lastHash = hash;
      options.log.info({ reason, config_version: next.version }, 'configuration reloaded');
      warn(next);
      options.onSwap?.(compiled, next);
      options.onReload?.(true);
      return true;
    } catch (e) {
      const issues = e instanceof ConfigError ? e.issues.map((i) => `${i.path || '(root)'}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`) : ['unexpected error'];
      lastHash = hash;
      options.log.error({ reason, code: 'config_invalid', issues, config_version: config.version }, 'configuration refused; the previous configuration keeps serving');
      options.onReload?.(false);
      return false;
    }
  }

  function warn(c: KeywardConfig): void {
    for (const w of c.warnings) options.log.warn({ code: 'config_warning', path: w.path, line: w.line, config_version: c.version }, w.message);
  }

  return {
    current: () => snapshot,
    reload,
    watch() {
      // Watch the folder, not the file: editors and Kubernetes ConfigMaps replace files by rename.
      watcher = watch(dirname(path), (_event, name) => {
        if (name !== null && name !== basename(path) && !String(name).startsWith('..')) return;
        clearTimeout(debounce);
        debounce = setTimeout(() => reload('file-change'), 50);
      });
      watcher.unref();
    },
    close() {
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}

function hashOf(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'unreadable';
  }
}
