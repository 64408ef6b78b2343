// Wire shapes of docs/api-contract.md (snake_case). Enum values travel as UPPER_SNAKE strings (Core's EnumNames).
export type RunState = 'QUEUED' | 'RUNNING' | 'PAUSED' | 'COMPLETE' | 'FAILED' | 'CANCELLED';
export type PhaseState = 'QUEUED' | 'EXECUTING' | 'GATE' | 'CI_RUNNING' | 'COMPLETE' | 'FAILED' | 'SKIPPED';
/** Core's AttemptStatus: STOPPED is an attempt a stop or an executor error interrupted (not counted). */
export type AttemptOutcome = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABANDONED' | 'STOPPED';
/** Core's ReasonCodes (docs/executor.md, Reason codes): why a phase or an attempt failed or was put back. */
export type ReasonCode =
  | 'PATCH_FAILED' | 'CI_FAILED' | 'AUDITOR_REJECTED' | 'TIMEOUT' | 'BUDGET_EXHAUSTED' | 'MAX_ATTEMPTS' | 'APPROVAL_REJECTED'
  | 'CANCELLED' | 'NO_REPOSITORY' | 'LEASE_EXPIRED' | 'RELEASED' | 'KILL_SWITCH' | 'EXECUTOR_ERROR' | 'SANDBOX_UNAVAILABLE'
  | 'SANDBOX_NETWORK_DENIED';
export type ApprovalKind = 'SCOPE_VIOLATION' | 'LARGE_DELETION' | 'AUDITOR_ESCALATE' | 'MANUAL';
export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED';

export const finishedRunStates: readonly RunState[] = ['COMPLETE', 'FAILED', 'CANCELLED'];

export interface Items<T> { items: T[] }
export interface Progress { total: number; completed: number; failed: number; executing: number; queued: number; percent: number }
export interface Tier { tier_id: string; name: string; description: string; index: number }
/** The run plan's sandbox settings (a phase's are its own, else the run's): `network` lets the test command use the host's network. */
export interface Sandbox { network: boolean }
export interface Phase {
  phase_id: string; tier_id: string; name: string; description: string; index: number; state: PhaseState; complexity: string;
  scope: { paths: string[]; read_only_context: string[] }; test_command: string | null; sandbox: Sandbox; attempts: number; max_attempts: number;
  failure_reason: ReasonCode | null; status_reason: string | null; tokens_used: number; commit_sha: string | null;
  claimed_by: string | null; started_at: string | null; completed_at: string | null;
}
export interface Run {
  run_id: string; name: string; state: RunState; repo_path: string | null; branch: string | null; token_cap: number; tokens_used: number;
  max_phases: number; max_duration_minutes: number; sandbox: Sandbox; pause_reason: string | null; failure_reason: string | null;
  created_at: string; started_at: string | null; completed_at: string | null; progress: Progress; tiers?: Tier[]; phases?: Phase[];
}
export interface RunPage { items: Run[]; total: number; page: number; page_size: number }
export interface Attempt {
  number: number; model: string | null; outcome: AttemptOutcome; failure_reason: ReasonCode | null; diff: string | null; test_output: string | null;
  auditor_verdict: string | null; auditor_notes: string | null; prompt_tokens: number; completion_tokens: number;
}
/** GET /runs/{run_id}/phases/{phase_id}. */
export interface PhaseDetail extends Phase { attempts_detail: Attempt[] }
export interface ModelUsage { provider: string; model: string; role: string; prompt_tokens: number; completion_tokens: number; calls: number }
export interface Usage { total_tokens: number; by_model: ModelUsage[]; timeline: { at: string; tokens: number }[] }
export interface Approval {
  approval_id: string; run_id: string; phase_id: string | null; kind: ApprovalKind; reason: string; diff: string | null; status: ApprovalStatus;
  decided_by: string | null; created_at: string; expires_at: string;
}
export interface KillSwitch { name: string; enabled: boolean; reason: string | null; updated_by: string | null; updated_at: string | null }
export interface OutboxStats { by_status: Record<string, number>; oldest_pending_age_seconds: number | null; stuck: number }
export interface DeadLetter {
  id: number; message_id: string; type: string; destination: string; attempts: number; last_error: string | null; dead_at: string; replayed_at: string | null;
}
export interface Health {
  status: string; timestamp: string; database_identity: string; database: string; qdrant: string;
  kill_switches: Record<string, boolean>; version: string; service: string; component: string;
}
export interface VersionInfo { version: string; commit: string; build_time: string }
export interface LoginResponse { access_token: string }
export interface Problem { status: number; code?: string; detail?: string; title?: string; errors?: Record<string, string[]> }

// Live events (GET /runs/{run_id}/events): the event name says which payload `data` carries.
export interface RunCreatedData { run_id: string; name: string; phases: number; tiers: number; state: RunState }
export interface RunStateData {
  run_id: string; state: RunState; previous_state: RunState; reason: string | null; tokens_used: number; token_cap: number; branch: string | null;
}
export interface PhaseStateData {
  run_id: string; phase_id: string; state: PhaseState; previous_state: PhaseState | null; failure_reason: ReasonCode | null; status_reason: string | null;
  note: string | null; attempts: number; max_attempts: number; claimed_by: string | null; commit_sha: string | null; tokens_used: number;
}
/** Sent when an attempt starts (outcome RUNNING, with the executor) and when it ends (with the model, verdict and tokens). */
export interface PhaseAttemptData {
  run_id: string; phase_id: string; number: number; outcome: AttemptOutcome; executor?: string; failure_reason?: ReasonCode | null;
  model?: string | null; auditor_verdict?: string | null; prompt_tokens?: number; completion_tokens?: number;
}
/** A test command finished (live stream only; the attempt keeps the full log). */
export interface PhaseTestsData {
  run_id: string; phase_id: string; attempt: number; passed: boolean; exit_code: number | null; timed_out: boolean; duration_ms: number;
  output_tail: string;
}
export interface ApprovalEventData {
  approval_id: string; run_id: string; phase_id: string | null; kind: ApprovalKind; reason: string; status: ApprovalStatus;
  decided_by: string | null; decision_source: string | null; created_at: string; expires_at: string; decided_at: string | null;
}
export interface UsageEventData {
  run_id: string; phase_id: string; provider: string; model: string; role: string; prompt_tokens: number; completion_tokens: number;
}
export type RunStreamEvent = { id: number } & (
  | { event: 'run.created'; data: RunCreatedData }
  | { event: 'run.state'; data: RunStateData }
  | { event: 'phase.state'; data: PhaseStateData }
  | { event: 'phase.attempt'; data: PhaseAttemptData }
  | { event: 'phase.tests'; data: PhaseTestsData }
  | { event: 'approval.requested' | 'approval.decided'; data: ApprovalEventData }
  | { event: 'usage'; data: UsageEventData }
);
export type RunStreamEventName = RunStreamEvent['event'];
