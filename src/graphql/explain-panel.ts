// A panel added to the GraphiQL page that shows `extensions.explain` (src/graphql/explain.ts): a choice
// (off, statements, statements + plans) that adds the x-explain header to the page's requests,
// and the statements of the last answer. Yoga's GraphiQL takes its options as JSON, so a React
// plugin cannot be handed to it; its fetcher calls `globalThis.fetch` on every request, which the
// panel wraps. Plain DOM, text only (SQL and parameters are never read as HTML), and nothing
// fetched from anywhere but the page's own endpoint.

/** The panel's style, markup and script, which the GraphiQL page loads (src/http/graphiql.ts). */
export const explainPanelStyle = /* CSS */ `
#explain-panel { position: fixed; right: 12px; bottom: 12px; z-index: 1000; color: #1b1b1b;
  font: 12px/1.4 system-ui, sans-serif; }
#explain-panel .explain-bar { display: flex; gap: 8px; align-items: center; background: #fff;
  border: 1px solid #c8c8c8; border-radius: 6px; padding: 4px 8px; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.15); }
#explain-panel .explain-body { display: none; position: fixed; left: 72px; right: 12px; bottom: 48px;
  max-height: 45vh; overflow: auto; background: #fff; border: 1px solid #c8c8c8; border-radius: 6px;
  padding: 8px 12px; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.2); }
#explain-panel.open .explain-body { display: block; }
#explain-panel pre { white-space: pre-wrap; margin: 2px 0 8px; padding: 4px 6px; background: #f4f4f4;
  font: 12px/1.35 ui-monospace, monospace; }
#explain-panel h4 { margin: 8px 0 0; font-size: 12px; }
`;

export const explainPanelMarkup = /* HTML */ `
  <div id="explain-panel">
    <div class="explain-body" aria-live="polite"><p>Choose "statements" or "plans" and run an operation.</p></div>
    <div class="explain-bar">
      <label
        >SQL
        <select aria-label="x-explain">
          <option value="off">off</option>
          <option value="statements">statements</option>
          <option value="plan">statements + plans</option>
        </select>
      </label>
      <span class="explain-summary"></span>
      <button type="button" class="explain-toggle">show</button>
    </div>
  </div>
`;

export const explainPanelScript = /* JavaScript */ `
(() => {
  const panel = document.getElementById('explain-panel');
  const body = panel.querySelector('.explain-body');
  const select = panel.querySelector('select');
  const summary = panel.querySelector('.explain-summary');
  const toggle = panel.querySelector('.explain-toggle');
  const key = 'heroes-teams:x-explain';
  select.value = localStorage.getItem(key) || 'off';
  select.addEventListener('change', () => localStorage.setItem(key, select.value));
  toggle.addEventListener('click', () => {
    panel.classList.toggle('open');
    toggle.textContent = panel.classList.contains('open') ? 'hide' : 'show';
  });

  const element = (tag, text) => {
    const node = document.createElement(tag);
    node.textContent = text;
    return node;
  };
  const dedent = (sql) => {
    const lines = sql.replace(/^\\s*\\n/, '').trimEnd().split('\\n');
    const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => line.search(/\\S/)));
    return lines.map((line) => line.slice(indent)).join('\\n');
  };

  function show(explain) {
    body.replaceChildren();
    if (!explain) {
      summary.textContent = 'not explained';
      body.append(element('p', 'The answer has no extensions.explain: only admin callers get it (in production, with a token).'));
      return;
    }
    const total = explain.statements.reduce((sum, statement) => sum + statement.durationMs, 0);
    summary.textContent = explain.statements.length + ' statements, ' + total.toFixed(2) + ' ms';
    explain.statements.forEach((statement, index) => {
      body.append(element('h4', '#' + (index + 1) + ' · ' + statement.durationMs + ' ms'));
      body.append(element('pre', dedent(statement.sql)));
      body.append(element('pre', 'params: ' + JSON.stringify(statement.params)));
      if (statement.plan) body.append(element('pre', statement.plan.join('\\n')));
      else if (statement.noPlan) body.append(element('p', 'No plan: ' + statement.noPlan));
    });
    if (explain.omitted > 0) body.append(element('p', explain.omitted + ' more statements not listed.'));
  }

  const endpoint = new URL(location.pathname, location.href).href;
  const fetch = globalThis.fetch.bind(globalThis);
  globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href).href;
    let operationName = null;
    try {
      operationName = JSON.parse(init && typeof init.body === 'string' ? init.body : '{}').operationName;
    } catch {}
    // GraphiQL's own introspection would replace the panel's content with nothing.
    const ours = url.split('?')[0] === endpoint && operationName !== 'IntrospectionQuery';
    const mode = select.value;
    if (ours && mode !== 'off') {
      const headers = new Headers(init && init.headers);
      if (!headers.has('x-explain')) headers.set('x-explain', mode);
      init = { ...init, headers };
    }
    const response = await fetch(input, init);
    const type = response.headers.get('content-type') || '';
    const asked = ours && (mode !== 'off' || new Headers(init && init.headers).has('x-explain'));
    if (asked && type.includes('json')) {
      response.clone().json().then((result) => show(result.extensions && result.extensions.explain), () => {});
    }
    return response;
  };
})();
`;
