// Wire shapes of docs/api-contract.md (snake_case).
export interface Progress { total: number; completed: number; failed: number; executing: number; queued: number; percent: number }
export interface Tier { tier_id: string; name: string; description: string; index: number }
export interface Phase {
  phase_id: string; tier_id: string; name: string; description: string; index: number; state: string; complexity: string;
  scope: { paths: string[]; read_only_context: string[] }; test_command: string | null; attempts: number; max_attempts: number;
  failure_reason: string | null; status_reason: string | null; tokens_used: number; commit_sha: string | null;
  claimed_by: string | null; started_at: string | null; completed_at: string | null;
}
export interface Run {
  run_id: string; name: string; state: string; repo_path: string | null; branch: string | null; token_cap: number; tokens_used: number;
  max_phases: number; max_duration_minutes: number; pause_reason: string | null; failure_reason: string | null;
  created_at: string; started_at: string | null; completed_at: string | null; progress: Progress; tiers?: Tier[]; phases?: Phase[];
}
export interface RunPage { items: Run[]; total: number; page: number; page_size: number }
export interface Attempt {
  number: number; model: string | null; outcome: string; failure_reason: string | null; diff: string | null; test_output: string | null;
  auditor_verdict: string | null; auditor_notes: string | null; prompt_tokens: number; completion_tokens: number;
}
export interface Usage {
  total_tokens: number;
  by_model: { provider: string; model: string; role: string; prompt_tokens: number; completion_tokens: number; calls: number }[];
  timeline: { at: string; tokens: number }[];
}
export interface Approval {
  approval_id: string; run_id: string; phase_id: string | null; kind: string; reason: string; diff: string | null; status: string;
  decided_by: string | null; created_at: string; expires_at: string;
}
export interface KillSwitch { name: string; enabled: boolean; reason: string | null; updated_by: string | null; updated_at: string | null }
export interface Health {
  status: string; timestamp: string; database_identity: string; database: string; qdrant: string;
  kill_switches: Record<string, boolean>; version: string; service: string; component: string;
}
export interface Problem { status: number; code?: string; detail?: string; title?: string; errors?: Record<string, string[]> }
