// Zod must not probe `new Function` under the page's CSP (no 'unsafe-eval'): configure it first.
import './zod-config.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createBridge } from './bridge/index.ts';
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
import './styles/replay.css';

useStore.getState().setUi({ theme: storedTheme() });
try {
  const bridge = createBridge();
  useStore.getState().attach(bridge);
} catch (error) {
  useStore.setState({ connection: { status: 'closed', attempts: 0, error: (error as Error).message } });
  useStore.getState().setUi({ notice: (error as Error).message });
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
