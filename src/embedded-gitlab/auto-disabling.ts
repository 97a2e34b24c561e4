/**
 * `WebHooks::AutoDisabling` (gitlab-webhooks-api §6.2) for project and group hooks: consecutive failures back a
 * hook off, the 4th disables it for a minute (doubling up to a day), the 40th for good; a success, or a
 * successful test, resets it. Never applied to system hooks. Behind a setting, as GitLab's ops flag
 * `auto_disabling_web_hooks` is; with it off every hook stays `executable`.
 */
import type { Clock } from './clock.ts';

/** The failure columns of a hook (`recent_failures`, `disabled_until`). */
export interface FailureState {
  recentFailures: number;
  /** Epoch milliseconds, or null. */
  disabledUntil: number | null;
}

export type AlertStatus = 'executable' | 'temporarily_disabled' | 'disabled';

const TEMPORARILY_DISABLED_FAILURE_THRESHOLD = 3;
const PERMANENTLY_DISABLED_FAILURE_THRESHOLD = 39;
const MAX_FAILURES = PERMANENTLY_DISABLED_FAILURE_THRESHOLD + 1;
const INITIAL_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 86_400_000;
const BACKOFF_GROWTH_FACTOR = 2;

export const initialFailureState = (): FailureState => ({ recentFailures: 0, disabledUntil: null });

/** The failure state of every project and group hook, and what it means now. */
export class AutoDisabling {
  readonly #states = new Map<number, FailureState>();

  constructor(
    /** Whether auto-disabling is on (`auto_disabling_web_hooks`). */
    readonly enabled: boolean,
    private readonly clock: Clock,
  ) {}

  state(hookId: number): FailureState {
    return this.#states.get(hookId) ?? initialFailureState();
  }

  #temporarilyDisabled({ recentFailures, disabledUntil }: FailureState): boolean {
    return (
      disabledUntil !== null &&
      disabledUntil >= this.clock() &&
      recentFailures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD &&
      recentFailures <= PERMANENTLY_DISABLED_FAILURE_THRESHOLD
    );
  }

  /** `alert_status`, computed when read: a passed `disabled_until` reads `executable` again. */
  alertStatus(hookId: number): AlertStatus {
    if (!this.enabled) return 'executable';
    const state = this.state(hookId);
    if (state.recentFailures > PERMANENTLY_DISABLED_FAILURE_THRESHOLD) return 'disabled';
    if (this.#temporarilyDisabled(state)) return 'temporarily_disabled';
    return 'executable';
  }

  /** `disabled_until` as the entity shows it: kept after it has passed, until a success clears it. */
  disabledUntil(hookId: number): string | null {
    if (!this.enabled) return null;
    const { disabledUntil } = this.state(hookId);
    return disabledUntil === null ? null : new Date(disabledUntil).toISOString();
  }

  /** `executable?`: whether an event may be delivered now. */
  executable(hookId: number): boolean {
    return this.alertStatus(hookId) === 'executable';
  }

  /** `LogExecutionService#update_hook_failure_state`: `enable!` on 2xx and 3xx, `backoff!` on anything else. */
  record(hookId: number, outcome: 'ok' | 'error'): void {
    if (!this.enabled) return;
    if (outcome === 'ok') {
      this.#states.delete(hookId);
      return;
    }
    // `backoff!` does nothing to a hook that is not executable (a forced test of a disabled hook).
    if (!this.executable(hookId)) return;
    const old = this.state(hookId).recentFailures;
    const recentFailures = Math.min(Math.max(old + 1, 1), MAX_FAILURES);
    let { disabledUntil } = this.state(hookId);
    if (recentFailures > PERMANENTLY_DISABLED_FAILURE_THRESHOLD) {
      // Disabled for good: no time is left to wait for (the column's value here is UNCONFIRMED upstream).
      disabledUntil = null;
    } else if (recentFailures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD) {
      const growth = BACKOFF_GROWTH_FACTOR ** (old - TEMPORARILY_DISABLED_FAILURE_THRESHOLD);
      const backoff = Math.min(Math.max(INITIAL_BACKOFF_MS * growth, INITIAL_BACKOFF_MS), MAX_BACKOFF_MS);
      disabledUntil = this.clock() + backoff;
    }
    this.#states.set(hookId, { recentFailures, disabledUntil });
  }

  /** A deleted hook's state goes with it. */
  forget(hookId: number): void {
    this.#states.delete(hookId);
  }
}
