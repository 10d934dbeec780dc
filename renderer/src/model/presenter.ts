/**
 * Presenter mode in the page's address (`?presenter=1`), so a projector's bookmark opens in it and
 * a reload keeps it. Pure: the hook (`hooks/usePresenter.ts`) reads and writes `location`.
 */
export const PRESENTER_PARAM = 'presenter';

export function presenterFromSearch(search: string): boolean {
  const value = new URLSearchParams(search).get(PRESENTER_PARAM);
  return value === '1' || value === 'true';
}

/** The query string with presenter mode on or off; every other parameter (the token) kept as it was. */
export function searchWithPresenter(search: string, on: boolean): string {
  const params = new URLSearchParams(search);
  if (on) params.set(PRESENTER_PARAM, '1');
  else params.delete(PRESENTER_PARAM);
  const text = params.toString();
  return text ? `?${text}` : '';
}
