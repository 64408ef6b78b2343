import type { Phase, Usage } from '../../api/types';
import { Bars, Empty, LineChart, Loading } from '../../components/ui';

/** The run page's charts and tables: tokens over time, phase durations, usage per model (usage is null while it loads). */
export function UsagePanel({ usage, phases }: { usage: Usage | null; phases: Phase[] }) {
  const durations = phases.filter((p) => p.started_at && p.completed_at)
    .map((p) => ({ label: p.phase_id, value: (Date.parse(p.completed_at!) - Date.parse(p.started_at!)) / 1000 }));
  return (
    <>
      <div className="grid2">
        <div className="card"><h3>Token usage over time</h3>
          {usage ? <LineChart label="tokens" points={usage.timeline.map((p) => ({ x: Date.parse(p.at), y: p.tokens }))} /> : <Loading />}
        </div>
        <div className="card"><h3>Phase durations</h3><Bars items={durations} unit="s" /></div>
      </div>
      <div className="card"><h3>Usage per model</h3>
        {!usage ? <Loading /> : usage.by_model.length === 0 ? <Empty>No model calls yet.</Empty> : (
          <table><thead><tr><th>Model</th><th>Role</th><th>Calls</th><th>Prompt</th><th>Completion</th></tr></thead>
            <tbody>{usage.by_model.map((m) => <tr key={`${m.provider}/${m.model}/${m.role}`}><td>{m.provider}/{m.model}</td><td>{m.role}</td><td>{m.calls}</td><td>{m.prompt_tokens}</td><td>{m.completion_tokens}</td></tr>)}</tbody>
          </table>)}
      </div>
    </>
  );
}
