import { useCallback, useEffect, useState, type DependencyList, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { PhaseState, RunState } from '../api/types';

/**
 * Loads data and renders the three states every page needs: loading, error, loaded (with empty as the caller decides).
 * `deps` works like useEffect's: the linter checks it at each call site (additionalHooks in eslint.config.js).
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList, refreshMs = 0) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then((d) => { if (live) { setData(d); setError(null); } }, (e: unknown) => { if (live) setError(messageOf(e)); });
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's deps stand for `load`; the rule checks them where useLoad is called.
  }, [...deps, tick]);
  useEffect(() => {
    if (!refreshMs) return;
    const t = setInterval(() => setTick((n) => n + 1), refreshMs);
    return () => clearInterval(t);
  }, [refreshMs]);
  // Stable, so effects that call it do not resubscribe on every render.
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, reload, setData };
}

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return `${e.message}${e.problem.code ? ` (${e.problem.code})` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

export function Loading() { return <p className="muted" role="status">Loading…</p>; }
/** Every error the dashboard shows: the message (with the problem code, see messageOf) and, for a failed load, a retry. */
export function ErrorBox({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return <div className="error" role="alert">{message}{onRetry && <> <button onClick={onRetry}>Retry</button></>}</div>;
}
export function Empty({ children }: { children: ReactNode }) { return <p className="empty">{children}</p>; }

export function StateBadge({ state }: { state: RunState | PhaseState }) { return <span className={`badge s-${state.toLowerCase()}`}>{state}</span>; }

/** Shown where the run plan lets test commands use the host's network (`sandbox.network`): model-written code with a way out. */
export function NetworkBadge({ of }: { of: 'run' | 'phase' }) {
  return <span className="badge network" title={`The run plan lets this ${of}'s test commands use the host's network (sandbox.network)`}>network allowed</span>;
}

export function ProgressBar({ percent }: { percent: number }) {
  return <div className="bar" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100}><div style={{ width: `${percent}%` }} /></div>;
}

/** A small SVG line chart (no chart library: one polyline and two labels). */
export function LineChart({ points, label }: { points: { x: number; y: number }[]; label: string }) {
  if (points.length < 2) return <Empty>Not enough data for a chart yet.</Empty>;
  const w = 320, h = 120;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const [x0, x1, y1] = [Math.min(...xs), Math.max(...xs), Math.max(...ys, 1)];
  const path = points.map((p) => `${((p.x - x0) / Math.max(1, x1 - x0)) * w},${h - (p.y / y1) * h}`).join(' ');
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}><polyline points={path} fill="none" stroke="currentColor" strokeWidth="2" /></svg>
      <figcaption>{label}: {y1.toLocaleString()} max</figcaption>
    </figure>
  );
}

/** Horizontal bars (phase durations). */
export function Bars({ items, unit }: { items: { label: string; value: number }[]; unit: string }) {
  if (items.length === 0) return <Empty>No finished phases yet.</Empty>;
  const max = Math.max(...items.map((i) => i.value), 1);
  return (
    <ul className="bars">
      {items.map((i) => <li key={i.label}><span>{i.label}</span><div style={{ width: `${(i.value / max) * 100}%` }} /><em>{i.value.toFixed(1)} {unit}</em></li>)}
    </ul>
  );
}
