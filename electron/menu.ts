/**
 * The application menu, as a template built from plain data (platform, demos, recent components)
 * and callbacks, so it can be checked without Electron. macOS gets the app menu first; elsewhere
 * About and Quit live under Help and File.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { basename } from 'node:path';
import type { DemoInfo } from '../protocol/bridge.ts';
import type { ScenarioInfo } from '../protocol/scenarios.ts';

export interface MenuActions {
  openComponentDialog(): void;
  openComponent(spec: string): void;
  runScenario(name: string): void;
  clearRecent(): void;
  openServedAddress(): void;
  showAbout(): void;
}

export interface MenuInput {
  platform: NodeJS.Platform;
  appName: string;
  demos: readonly DemoInfo[];
  scenarios: readonly ScenarioInfo[];
  recent: readonly string[];
  /** Reload and DevTools entries (development only). */
  developer: boolean;
  actions: MenuActions;
}

/** How a recent entry reads in the menu: the file name (demos as they are). */
export function recentLabel(spec: string): string {
  return spec.startsWith('demo:') ? spec : basename(spec);
}

export function buildMenuTemplate(input: MenuInput): MenuItemConstructorOptions[] {
  const { actions } = input;
  const mac = input.platform === 'darwin';

  const recentItems: MenuItemConstructorOptions[] =
    input.recent.length === 0
      ? [{ label: 'No Recent Components', enabled: false }]
      : input.recent.map((spec) => ({
          label: recentLabel(spec).replaceAll('&', '&&'),
          ...(spec.startsWith('demo:') ? {} : { sublabel: spec, toolTip: spec }),
          click: () => actions.openComponent(spec),
        }));

  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      {
        id: 'open-component',
        label: 'Open Component…',
        accelerator: 'CmdOrCtrl+O',
        click: () => actions.openComponentDialog(),
      },
      {
        id: 'open-recent',
        label: 'Open Recent',
        submenu: [
          ...recentItems,
          { type: 'separator' },
          { label: 'Clear Recent', enabled: input.recent.length > 0, click: () => actions.clearRecent() },
        ],
      },
      { type: 'separator' },
      {
        id: 'open-served-address',
        label: 'Open Served Address in Browser',
        accelerator: 'CmdOrCtrl+Shift+B',
        click: () => actions.openServedAddress(),
      },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };

  const scenarios: MenuItemConstructorOptions = {
    id: 'scenarios',
    label: 'Teaching Scenarios',
    submenu: input.scenarios.map((scenario) => ({
      id: `scenario-${scenario.name}`,
      label: scenario.title.replaceAll('&', '&&'),
      sublabel: scenario.summary,
      toolTip: scenario.summary,
      click: () => actions.runScenario(scenario.name),
    })),
  };

  const demos: MenuItemConstructorOptions = {
    id: 'demos',
    label: '&Demos',
    submenu: [
      ...input.demos.map((demo) => ({
        id: `demo-${demo.name}`,
        label: demo.name.replace(/^demo:/, ''),
        sublabel: demo.description,
        toolTip: demo.description,
        click: () => actions.openComponent(demo.name),
      })),
      ...(input.scenarios.length > 0
        ? ([{ type: 'separator' }, scenarios] satisfies MenuItemConstructorOptions[])
        : []),
    ],
  };

  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(input.developer
        ? ([
            { role: 'reload' },
            { role: 'forceReload' },
            { role: 'toggleDevTools' },
            { type: 'separator' },
          ] satisfies MenuItemConstructorOptions[])
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };

  const help: MenuItemConstructorOptions = {
    label: '&Help',
    role: 'help',
    submenu: mac ? [] : [{ label: `About ${input.appName}`, click: () => actions.showAbout() }],
  };

  return [
    ...(mac ? [{ label: input.appName, role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    file,
    { role: 'editMenu' },
    view,
    demos,
    { role: 'windowMenu' },
    help,
  ];
}
