// Zod must not probe `new Function` under the page's CSP (no 'unsafe-eval'): configure it first.
import './zod-config.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { storedTheme } from './hooks/useTheme.ts';
import { useStore } from './store/store.ts';
import './styles/theme.css';
import './styles/layout.css';
import './styles/controls.css';
import './styles/panels.css';
import './styles/instances.css';
import './styles/views.css';
import './styles/leaks.css';
import './styles/leak-marks.css';
import './styles/scenarios.css';
import './styles/presenter.css';
import './styles/replay.css';
import './styles/gauges.css';

// The store (`store/store.ts`) connects to the engine as it is made.
useStore.getState().setUi({ theme: storedTheme() });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element to render the dashboard into');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
