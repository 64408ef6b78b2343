import { useState } from 'react';
import { ApiError, post } from '../api/client';
import type { Run } from '../api/types';
import { ErrorBox, messageOf } from '../components/ui';
import { navigate, runPath } from '../router';

const example = JSON.stringify({
  name: 'Add a greeting', repo_path: '/path/to/repo',
  tiers: [{ tier_id: 'T1', name: 'Foundation' }],
  phases: [{ phase_id: 'P1', tier_id: 'T1', name: 'Greeting', description: 'Add greet.sh printing hello', complexity: 'low',
    scope: { paths: ['greet.sh'], read_only_context: ['README.md'] }, test_command: 'sh test.sh' }],
}, null, 2);

/** Create a run from a JSON plan (pasted or uploaded); the API's validation errors are shown next to the plan, per field. */
export function CreateRun() {
  const [text, setText] = useState(example);
  const [errors, setErrors] = useState<Record<string, string[]> | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit() {
    setErrors(null);
    setMessage(null);
    let plan: unknown;
    try { plan = JSON.parse(text); } catch (e) { setMessage(`The plan is not valid JSON: ${(e as Error).message}`); return; }
    setBusy(true);
    try {
      const run = await post<Run>('/runs', plan);
      navigate(runPath(run.run_id));
    } catch (e) {
      if (e instanceof ApiError && e.problem.errors) setErrors(e.problem.errors);
      setMessage(messageOf(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section>
      <h2>New run</h2>
      <p className="muted">Paste a plan or upload a .json file.</p>
      <input type="file" accept=".json,application/json" aria-label="Upload plan" onChange={async (e) => {
        const f = e.target.files?.[0];
        if (f) setText(await f.text());
      }} />
      <textarea aria-label="Plan" value={text} onChange={(e) => setText(e.target.value)} rows={18} spellCheck={false} />
      {message && <ErrorBox message={message} />}
      {errors && <ul className="field-errors" aria-label="Plan errors">
        {Object.entries(errors).map(([field, msgs]) => <li key={field}><code>{field}</code>: {msgs.join('; ')}</li>)}
      </ul>}
      <button onClick={submit} disabled={busy}>{busy ? 'Creating…' : 'Create run'}</button>
    </section>
  );
}
